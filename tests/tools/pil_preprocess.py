#!/usr/bin/python3
"""Reference preprocessing with Pillow, for tests/test_image.cpp.

  pil_preprocess.py process LIST OUTDIR WIDTH HEIGHT [CROP_FRACTION]
      LIST holds one image path per line.  For the i-th path (0-based) writes OUTDIR/<i>.decoded.rgb (the image
      after Image.open(...).convert('RGB')) and OUTDIR/<i>.rgb (that image cropped to tf.image.central_crop's box,
      then resized to WIDTHxHEIGHT with Image.BILINEAR), raw uint8 RGB bytes; and OUTDIR/manifest.txt with one line
      "<i> <decoded width> <decoded height>" per image.  CROP_FRACTION defaults to 0.875; 1 disables the crop.

  pil_preprocess.py variants SRC OUTDIR
      Writes images of other kinds made from the JPEG SRC into OUTDIR (PNG gray, gray+alpha, RGBA, palette,
      palette+transparency, 4-bit palette, 1-bit, 16-bit gray, 16-bit RGB and RGBA, RGB, a tiny RGB PNG that must
      be upscaled; CMYK, progressive, 4:4:4 and odd-sized 4:2:0 JPEGs) and prints their file names, one per line.

  pil_preprocess.py pixels CASES OUTDIR
      The reference of tare_image_preprocess.  CASES holds one case per line, fields separated by spaces:
        name raw_file format width height stride uv_offset uv_stride rotation crop_x crop_y crop_w crop_h fraction
        filter out_w out_h channels mean0 mean1 mean2 std0 std1 std2 qtype scale zero_point
      raw_file holds the caller's buffer (format RGBA8 BGRA8 RGB8 BGR8 GRAY8 NV21 NV12, rows `stride` bytes apart;
      NV12/NV21's chroma plane at byte uv_offset, rows uv_stride apart); rotation 0..3 quarter turns clockwise
      (Image.transpose); crop_w 0: tf.image.central_crop of `fraction`; filter bilinear|nearest (Image.resize);
      channels rgb|bgr; qtype int8|uint8 with scale and zero_point.  Writes OUTDIR/<name>.rgb (the resized uint8
      pixels in tensor channel order), <name>.f32 (float32((pixel - mean) / std), little-endian) and <name>.q (those
      quantized: round(value / scale) half away from zero + zero_point, clamped).

  pil_preprocess.py yuvcheck
      Prints the largest difference per channel between the BT.601 full-range conversion of `pixels` and Pillow's
      Image.frombytes('YCbCr', ...).convert('RGB') over a grid of Y, Cb, Cr values.

Only the standard library and Pillow are used (Debian: python3-pil), so that the system python can run it.
"""
import math
import os
import struct
import sys
import zlib

from PIL import Image


def central_crop_box(width, height, fraction):
    # tf.image.central_crop with a static fraction: int((size - size * fraction) / 2) in double arithmetic.
    ox = int((float(width) - float(width) * fraction) / 2)
    oy = int((float(height) - float(height) * fraction) / 2)
    return (ox, oy, width - ox, height - oy)


def process(list_file, outdir, width, height, fraction):
    os.makedirs(outdir, exist_ok=True)
    with open(list_file, encoding="utf-8") as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    lines = []
    for i, path in enumerate(paths):
        im = Image.open(path).convert("RGB")
        with open(os.path.join(outdir, "%d.decoded.rgb" % i), "wb") as out:
            out.write(im.tobytes())
        if fraction < 1.0:
            cropped = im.crop(central_crop_box(im.size[0], im.size[1], fraction))
        else:
            cropped = im
        small = cropped.resize((width, height), Image.BILINEAR)
        with open(os.path.join(outdir, "%d.rgb" % i), "wb") as out:
            out.write(small.tobytes())
        lines.append("%d %d %d\n" % (i, im.size[0], im.size[1]))
    with open(os.path.join(outdir, "manifest.txt"), "w", encoding="utf-8") as f:
        f.writelines(lines)


def write_png16(path, im, alpha):
    """A 16-bit RGB or RGBA PNG (Pillow cannot write these): sample = v * 257 + (x + y) % 251 keeps the high byte v
    and puts varying bits in the low byte."""
    w, h = im.size
    px = im.load()
    raw = bytearray()
    for y in range(h):
        raw.append(0)
        for x in range(w):
            samples = px[x, y][:3] + (((x * 3 + y) % 256,) if alpha else ())
            for c, v in enumerate(samples):
                raw += struct.pack(">H", min(v * 257 + (x + y + c) % 251, 65535))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 6 if alpha else 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(bytes(raw), 6)))
        f.write(chunk(b"IEND", b""))


def variants(src, outdir):
    os.makedirs(outdir, exist_ok=True)
    rgb = Image.open(src).convert("RGB")
    names = []

    def save(im, name, **kw):
        im.save(os.path.join(outdir, name), **kw)
        names.append(name)

    save(rgb.convert("L"), "gray.png")
    la = rgb.convert("LA")
    la.putalpha(rgb.convert("L").point(lambda v: 255 - v))
    save(la, "gray_alpha.png")
    rgba = rgb.convert("RGBA")
    rgba.putalpha(rgb.convert("L").point(lambda v: (v * 7) % 256))
    save(rgba, "rgba.png")
    pal = rgb.quantize(colors=200)
    save(pal, "palette.png")
    save(pal, "palette_trns.png", transparency=5)
    save(rgb.quantize(colors=13), "palette_4bit.png", bits=4)
    save(rgb.convert("1"), "bilevel.png")
    save(rgb.convert("L").convert("I").point(lambda v: v * 2), "gray16.png")  # 16-bit gray, half above 255
    save(rgb, "rgb.png")
    save(rgb.resize((37, 23), Image.NEAREST), "tiny.png")
    save(rgb.convert("CMYK"), "cmyk.jpg", quality=90)
    save(rgb, "progressive.jpg", quality=85, progressive=True)
    save(rgb, "subsampling444.jpg", quality=95, subsampling=0)
    save(rgb.crop((0, 0, 201, 157)), "odd_420.jpg", quality=80, subsampling=2)
    small = rgb.resize((150, 111), Image.NEAREST)
    write_png16(os.path.join(outdir, "rgb16.png"), small, False)
    write_png16(os.path.join(outdir, "rgba16.png"), small, True)
    names += ["rgb16.png", "rgba16.png"]
    for n in names:
        print(n)


def yuv_to_rgb(y, cb, cr):
    # BT.601 full range (JFIF) in 16-bit fixed point: 1.402, 0.344136, 0.714136, 1.772 times 2^16, rounded half up.
    cb -= 128
    cr -= 128
    clamp = lambda v: 0 if v < 0 else 255 if v > 255 else v
    return (clamp(y + ((91881 * cr + 32768) >> 16)),
            clamp(y + ((-22554 * cb - 46802 * cr + 32768) >> 16)),
            clamp(y + ((116130 * cb + 32768) >> 16)))


def unpack_rgb(raw, fmt, width, height, stride, uv_offset, uv_stride):
    """The caller's buffer as packed RGB bytes (gray replicated, alpha dropped)."""
    out = bytearray()
    bpp = {"RGBA8": 4, "BGRA8": 4, "RGB8": 3, "BGR8": 3}.get(fmt, 1)
    for y in range(height):
        row = y * stride
        for x in range(width):
            p = row + x * bpp
            if fmt in ("RGBA8", "RGB8"):
                out += raw[p:p + 3]
            elif fmt in ("BGRA8", "BGR8"):
                out += bytes((raw[p + 2], raw[p + 1], raw[p]))
            elif fmt == "GRAY8":
                out += bytes((raw[p],) * 3)
            else:
                c = uv_offset + (y // 2) * uv_stride + (x // 2) * 2
                u, v = (raw[c], raw[c + 1]) if fmt == "NV12" else (raw[c + 1], raw[c])
                out += bytes(yuv_to_rgb(raw[p], u, v))
    return bytes(out)


def round_half_away(x):
    r = math.floor(abs(x))
    if abs(x) - r >= 0.5:  # exact: r is within 1 of abs(x)
        r += 1
    return math.copysign(r, x)


def pixels(cases_file, outdir):
    os.makedirs(outdir, exist_ok=True)
    rotations = {1: Image.ROTATE_270, 2: Image.ROTATE_180, 3: Image.ROTATE_90}  # Pillow turns counter-clockwise
    with open(cases_file, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            (name, raw_file, fmt, width, height, stride, uv_offset, uv_stride, rotation, cx, cy, cw, ch, fraction,
             filt, out_w, out_h, channels, m0, m1, m2, s0, s1, s2, qtype, scale, zero_point) = line.split()
            width, height, stride, uv_offset, uv_stride = map(int, (width, height, stride, uv_offset, uv_stride))
            rotation, cx, cy, cw, ch, out_w, out_h = map(int, (rotation, cx, cy, cw, ch, out_w, out_h))
            with open(raw_file, "rb") as r:
                raw = r.read()
            im = Image.frombytes("RGB", (width, height),
                                 unpack_rgb(raw, fmt, width, height, stride, uv_offset, uv_stride))
            if rotation:
                im = im.transpose(rotations[rotation])
            box = (cx, cy, cx + cw, cy + ch) if cw else central_crop_box(im.size[0], im.size[1], float(fraction))
            im = im.crop(box)
            im = im.resize((out_w, out_h), Image.NEAREST if filt == "nearest" else Image.BILINEAR)
            if channels == "bgr":
                r_, g_, b_ = im.split()
                im = Image.merge("RGB", (b_, g_, r_))
            values = im.tobytes()
            mean, std = (float(m0), float(m1), float(m2)), (float(s0), float(s1), float(s2))
            floats = [struct.unpack("<f", struct.pack("<f", (v - mean[i % 3]) / std[i % 3]))[0]
                      for i, v in enumerate(values)]
            scale32 = struct.unpack("<f", struct.pack("<f", float(scale)))[0]
            lo, hi = (-128, 127) if qtype == "int8" else (0, 255)
            q = [int(min(max(round_half_away(v / scale32) + int(zero_point), lo), hi)) for v in floats]
            with open(os.path.join(outdir, name + ".rgb"), "wb") as out:
                out.write(values)
            with open(os.path.join(outdir, name + ".f32"), "wb") as out:
                out.write(struct.pack("<%df" % len(floats), *floats))
            with open(os.path.join(outdir, name + ".q"), "wb") as out:
                out.write(struct.pack("<%d%s" % (len(q), "b" if qtype == "int8" else "B"), *q))


def yuvcheck():
    grid = range(0, 256, 3)
    triples = [(y, cb, cr) for y in grid for cb in grid for cr in grid]
    ycbcr = bytes(v for t in triples for v in t)
    pil = Image.frombytes("YCbCr", (len(triples), 1), ycbcr).convert("RGB").tobytes()
    worst = [0, 0, 0]
    for i, t in enumerate(triples):
        ours = yuv_to_rgb(*t)
        for c in range(3):
            worst[c] = max(worst[c], abs(ours[c] - pil[3 * i + c]))
    print("%d %d %d %d" % (len(triples), worst[0], worst[1], worst[2]))


def main(argv):
    if len(argv) >= 5 and argv[1] == "process":
        fraction = float(argv[6]) if len(argv) > 6 else 0.875
        process(argv[2], argv[3], int(argv[4]), int(argv[5]), fraction)
        return 0
    if len(argv) == 4 and argv[1] == "pixels":
        pixels(argv[2], argv[3])
        return 0
    if len(argv) == 2 and argv[1] == "yuvcheck":
        yuvcheck()
        return 0
    if len(argv) == 4 and argv[1] == "variants":
        variants(argv[2], argv[3])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

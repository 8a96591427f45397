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

Only the standard library and Pillow are used (Debian: python3-pil), so that the system python can run it.
"""
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


def main(argv):
    if len(argv) >= 5 and argv[1] == "process":
        fraction = float(argv[6]) if len(argv) > 6 else 0.875
        process(argv[2], argv[3], int(argv[4]), int(argv[5]), fraction)
        return 0
    if len(argv) == 4 and argv[1] == "variants":
        variants(argv[2], argv[3])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

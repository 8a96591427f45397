#!/usr/bin/env python3
"""The report pages of `tare calibrate --report`, rendered by a real browser (headless Chromium): report.html's script
runs without errors and draws the per-channel view of the layer named in the URL with one marker per value that
errors.csv has for it, every stage has its column, every layer its row, the settings and accuracy tables are there;
bft_loss.html has its axes, ticks, learning-rate marks and one marker per mini-epoch; the screenshots of both are
not blank and show the stages' colours.

Usage: report_pages_test.py PATH/TO/tare DATA_DIR.  Exits 77 (skipped) without Chromium or the data, unless
TARE_REQUIRE_DATA=1 (CI installs Chromium: .ci/run).
"""
import collections
import csv
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAILED:", what)


def skip(why):
    print("SKIPPED:", why)
    sys.exit(1 if os.environ.get("TARE_REQUIRE_DATA") == "1" else SKIP)


def chromium(browser, args, url):
    """Runs headless Chromium on url; returns (stdout, stderr)."""
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr",
           "--v=0", *args, url]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return r.stdout, r.stderr


def script_errors(stderr):
    """Console errors and uncaught exceptions Chromium logged for the page."""
    return [line for line in stderr.splitlines()
            if "Uncaught" in line or ":CONSOLE" in line]  # the page logs nothing itself


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit, non-interlaced RGB/RGBA PNG (Chromium's screenshots);
    zlib only, so that no imaging package is needed."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, f"PNG depth {depth} colour {colour}"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, bpp = zlib.decompress(idat), 3 if colour == 2 else 4
    stride, prev, rows = w * bpp, bytearray(w * bpp), []
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def screenshot_stats(png):
    """(distinct colours, fraction of non-white pixels, {name: pixels of that colour})."""
    try:  # Pillow when this Python has it (fast), else the zlib decoder above
        from PIL import Image
        pixels = list(Image.open(png).convert("RGB").getdata())
    except ImportError:
        pixels = [p for row in read_png(png)[2] for p in row]
    colours = {"basic #d62728": (214, 39, 40), "IBC #1f77b4": (31, 119, 180), "BFT #2ca02c": (44, 160, 44),
               "unequalized #7f7f7f": (127, 127, 127), "lr #9467bd": (148, 103, 189)}
    counts = {name: 0 for name in colours}
    for p, n in collections.Counter(pixels).items():
        for name, c in colours.items():
            if max(abs(p[i] - c[i]) for i in range(3)) <= 12:
                counts[name] += n
    non_white = sum(1 for p in pixels if min(p) < 240)
    return len(set(pixels)), non_white / len(pixels), counts


def main():
    tare, data = sys.argv[1], os.environ.get("TARE_DATA", sys.argv[2])
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        skip("no chromium (Debian: apt-get install chromium)")
    model = os.path.join(data, "models", "mobilenet_v1_0.25_224.tflite")
    images = os.path.abspath(os.path.join(data, "images", "imagenet_sample_1000"))
    labels = os.path.join(data, "images", "labels.csv")
    if not (os.path.isfile(model) and os.path.isdir(images)):
        skip(f"no data in {data}; set TARE_DATA")
    tmp = tempfile.mkdtemp()
    try:
        calib = os.path.join(tmp, "calib")
        os.mkdir(calib)
        for name in sorted(os.listdir(images))[:6]:
            os.symlink(os.path.join(images, name), os.path.join(calib, name))
        report = os.path.join(tmp, "report")
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
        run = subprocess.run([tare, "calibrate", model, "--images", calib, "--count", "4", "--method", "ibc+bft",
                              "--ibc-images", "2", "--bft-images", "2", "--bft-epochs", "2", "--bft-batch", "2",
                              "--bft-rates", "1e-3,1e-4", "--equalize", "--eval", "2", "--labels", labels,
                              "--out", os.path.join(tmp, "out.tflite"), "--report", report],
                             capture_output=True, text=True, timeout=600, env=env)
        if run.returncode != 0:
            print(run.stdout[-2000:], run.stderr[-2000:])
            check(False, f"tare calibrate exited {run.returncode}")
            return
        check_report(browser, report, tmp)
        check_loss(browser, report, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_report(browser, report, tmp):
    html = os.path.join(report, "report.html")
    rows = list(csv.DictReader(open(os.path.join(report, "errors.csv"))))
    layers = sorted({int(r["layer"]) for r in rows})
    check(len(layers) == 28, f"errors.csv has {len(layers)} layers, mobilenet_v1_0.25 has 28")
    stages = {r["stage"] for r in rows}
    check(stages == {"before", "after", "bft", "unequalized"}, f"errors.csv stages {sorted(stages)}")
    # A depthwise layer, a pointwise one and the classifier (1001 channels), each from the URL.
    for k in (1, 2, layers[-1]):
        dom, err = chromium(browser, ["--dump-dom"], f"file://{html}#layer={k}")
        check(not script_errors(err), f"report.html#layer={k}: script errors: {script_errors(err)[:3]}")
        m = re.search(r'<svg[^>]*id="channel-svg"[^>]*>(.*?)</svg>', dom, re.S)
        check(m is not None, f"report.html#layer={k}: the script drew no per-channel view")
        if not m:
            continue
        head = dom[m.start():m.start(1)]
        check(f'data-layer="{k}"' in head, f"report.html#layer={k}: the view shows another layer: {head[:120]}")
        drawn = len(re.findall(r'class="m pt s\d"', m.group(1)))
        expected = sum(1 for r in rows if int(r["layer"]) == k and r["point"] == "post" and r["mas"] != "")
        check(drawn == expected and expected > 0,
              f"report.html#layer={k}: {drawn} channel markers drawn, errors.csv has {expected} post-activation MAS")
        for label in ("basic", "equalized", "IBC", "BFT"):
            check(f'data-stage="{label}"' in m.group(1), f"report.html#layer={k}: no {label} markers")
    # The static parts: stage columns in pipeline order, every layer's row and select option, the notes.
    order = [dom.find(f'<th class="stage" data-stage="{s}">') for s in ("basic", "equalized", "IBC", "BFT")]
    check(-1 not in order and order == sorted(order), f"stage columns missing or out of order: {order}")
    check(len(re.findall(r'<tr data-layer="\d+"', dom)) == len(layers), "the layer table lacks layers")
    select = re.search(r'<select id="layer">(.*?)</select>', dom, re.S)
    check(select is not None and len(re.findall(r"<option ", select.group(1))) == len(layers),
          "the layer selector lacks layers")
    for text in ("<h2>Settings</h2>", "<h2>Accuracy</h2>", ">Tare</th>", ">device</th>", ">BFT</th>",
                 ">equalization</th>", ">bft</th>", "top-1 accuracy"):
        check(text in dom, f"report.html lacks {text}")
    sub = re.search(r'<p class="sub">(.*?);', dom, re.S)
    check(sub is not None and re.fullmatch(r"2 (IBC )?images", sub.group(1)) is not None,
          f"report.html's subtitle names the images as {sub.group(1) if sub else None!r}, not once as "
          "'2 IBC images' (--ibc-images 2)")
    png = os.path.join(tmp, "report.png")
    chromium(browser, [f"--screenshot={png}", "--window-size=1400,2000"], f"file://{html}#layer=2")
    check(os.path.isfile(png), "no screenshot of report.html")
    if os.path.isfile(png):
        distinct, ink, counts = screenshot_stats(png)
        print(f"report.html screenshot: {distinct} colours, {100 * ink:.1f}% non-white, {counts}")
        check(distinct > 50 and ink > 0.05, "report.html's screenshot looks blank")
        for name in ("basic #d62728", "IBC #1f77b4", "BFT #2ca02c", "unequalized #7f7f7f"):
            check(counts[name] > 30, f"report.html's screenshot shows no {name}")


def check_loss(browser, report, tmp):
    html = os.path.join(report, "bft_loss.html")
    dom, err = chromium(browser, ["--dump-dom"], f"file://{html}")
    check(not script_errors(err), f"bft_loss.html: errors {script_errors(err)[:3]}")
    losses = list(csv.DictReader(open(os.path.join(report, "bft_loss.csv"))))
    mini_epochs = len(losses) - 1  # row 0: the initial loss
    check(mini_epochs == 4, f"bft_loss.csv has {mini_epochs} mini-epochs, 2 rates x 2 were run")
    check(f'data-mini-epochs="{mini_epochs}"' in dom, "bft_loss.html: no loss plot")
    check(len(re.findall(r'<circle class="pt"', dom)) == mini_epochs, "bft_loss.html: not one marker per mini-epoch")
    check(len(re.findall(r'<line class="rate"', dom)) == 2, "bft_loss.html: not one learning-rate mark + legend")
    check(">lr 0.0001<" in dom and ">lr 0.001<" in dom, "bft_loss.html: the rates are not labelled")
    ticks = re.findall(r'class="xtick"[^>]*>(\d+)<', dom)
    check(ticks[:1] == ["0"] and ticks[-1:] == [str(mini_epochs)], f"bft_loss.html: x ticks {ticks}")
    for text in ("mini-epoch (0: first step", "distillation loss", "initial loss", "learning-rate change"):
        check(text in dom, f"bft_loss.html lacks '{text}'")
    png = os.path.join(tmp, "loss.png")
    chromium(browser, [f"--screenshot={png}", "--window-size=900,600"], f"file://{html}")
    if os.path.isfile(png):
        distinct, ink, counts = screenshot_stats(png)
        print(f"bft_loss.html screenshot: {distinct} colours, {100 * ink:.1f}% non-white, {counts}")
        check(distinct > 20 and ink > 0.02, "bft_loss.html's screenshot looks blank")
        check(counts["BFT #2ca02c"] > 30 and counts["lr #9467bd"] > 5, "bft_loss.html's screenshot lacks the curve")
    else:
        check(False, "no screenshot of bft_loss.html")


if __name__ == "__main__":
    main()
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)

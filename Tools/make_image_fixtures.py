#!/usr/bin/env python3
"""Makes the FoveaImage test fixtures (Tests/FoveaImageTests/Fixtures/).

Every expected value comes from an independent implementation: pixels from
Pillow's decoders, grayscale/crop/pad/transpose from Pillow, bilinear resize
from scipy.ndimage.zoom, convolution and filters from scipy.signal /
scipy.ndimage. The PNG variants Pillow cannot write (interlaced, 16-bit colour,
sub-byte depths, tRNS colour keys) are written by the small PNG writer below
and then read back with Pillow for the expected pixels.

Usage: python3 Tools/make_image_fixtures.py
Runs inside .venv-peer at the repository root (created with numpy, scipy and
pillow when missing); set FOVEA_PEER_VENV to use another existing venv.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The versions the committed fixtures were made with (Pillow 13 bundles libjpeg-turbo 3.2.0).
NEEDED = ["numpy==2.4.6", "scipy==1.17.1", "pillow==13.0.0"]


def ensure_venv():
    venv = os.environ.get("FOVEA_PEER_VENV") or os.path.join(ROOT, ".venv-peer")
    python = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    probe = subprocess.run([python, "-c", "import numpy, scipy, PIL"], capture_output=True)
    if probe.returncode != 0:
        subprocess.check_call([python, "-m", "pip", "install", "-q"] + NEEDED)
    os.execv(python, [python] + sys.argv)


ensure_venv()

import base64  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.ndimage as ndi  # noqa: E402
import scipy.signal as signal  # noqa: E402
import PIL  # noqa: E402
from PIL import Image, ImageOps, features  # noqa: E402

# The bad/ fixtures include decompression bombs on purpose; recording Pillow's reaction is enough.
warnings.simplefilter("ignore", Image.DecompressionBombWarning)

FIXTURES = os.path.join(ROOT, "Tests", "FoveaImageTests", "Fixtures")
CODEC = os.path.join(FIXTURES, "codec")
BAD = os.path.join(FIXTURES, "bad")
rng = np.random.default_rng(20261122)


def b64(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.uint8).tobytes()).decode()


def floats(array):
    # 9 significant digits: more than Float32 holds, far fewer bytes than repr(float64).
    return [float("%.9g" % v) for v in np.asarray(array, dtype=np.float64).ravel()]


def astronaut_crop(x, y, w, h):
    photo = Image.open(os.path.join(ROOT, "Datasets", "photos", "astronaut.png")).convert("RGB")
    return np.array(photo.crop((x, y, x + w, y + h)))


# ---------------------------------------------------------------- PNG writer

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_rows(samples, depth):
    """Filter-type-0 scanlines for an (h, w, c) integer array at `depth` bits."""
    out = bytearray()
    for row in samples:
        out.append(0)
        flat = row.reshape(-1)
        if depth == 16:
            out += flat.astype(">u2").tobytes()
        elif depth == 8:
            out += flat.astype(np.uint8).tobytes()
        else:
            bits = "".join(format(int(v), "0%db" % depth) for v in flat)
            bits += "0" * (-len(bits) % 8)
            out += int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_bytes(samples, depth, color_type, interlace=False, palette=None, trns=None):
    h, w = samples.shape[:2]
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += pack_rows(sub, depth)
    else:
        raw = pack_rows(samples, depth)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0))
    if palette is not None:
        out += chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).ravel()))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(raw, 9))
    out += chunk(b"IEND", b"")
    return out


# ---------------------------------------------------------------- codec fixtures

def make_codec_fixtures():
    os.makedirs(CODEC, exist_ok=True)
    expected = {}
    rgb = astronaut_crop(200, 100, 16, 12)
    gray = np.array(Image.fromarray(rgb).convert("L"))
    alpha = (np.arange(16 * 12).reshape(12, 16) * 251 % 256).astype(np.uint8)
    low = rng.integers(0, 256, size=rgb.shape)  # low bytes distinguish v >> 8 from rounding

    variants = {
        "png-gray8.png": png_bytes(gray[..., None], 8, 0),
        "png-gray-alpha8.png": png_bytes(np.dstack([gray, alpha]), 8, 4),
        "png-rgb8.png": png_bytes(rgb, 8, 2),
        "png-rgba8.png": png_bytes(np.dstack([rgb, alpha]), 8, 6),
        "png-rgb8-interlaced.png": png_bytes(rgb, 8, 2, interlace=True),
        "png-gray16.png": png_bytes((gray.astype(np.int64) * 256 + low[..., 0])[..., None], 16, 0),
        "png-gray-alpha16.png": png_bytes(np.dstack([gray.astype(np.int64) * 256 + low[..., 0],
                                                     alpha.astype(np.int64) * 256 + low[..., 1]]), 16, 4),
        "png-rgb16.png": png_bytes(rgb.astype(np.int64) * 256 + low, 16, 2),
        "png-rgba16-interlaced.png": png_bytes(np.dstack([rgb.astype(np.int64) * 256 + low,
                                                          alpha.astype(np.int64) * 256 + low[..., 0]]),
                                               16, 6, interlace=True),
        "png-gray1.png": png_bytes((gray > 128).astype(np.int64)[..., None], 1, 0),
        "png-gray4-interlaced.png": png_bytes((gray >> 4).astype(np.int64)[..., None], 4, 0, interlace=True),
        "png-gray-trns.png": png_bytes(gray[..., None], 8, 0, trns=struct.pack(">H", int(gray[3, 5]))),
        "png-rgb-trns.png": png_bytes(rgb, 8, 2, trns=struct.pack(">HHH", *[int(v) for v in rgb[4, 7]])),
    }
    quantized = Image.fromarray(rgb).quantize(colors=16, dither=Image.Dither.NONE)
    indices = np.array(quantized)
    palette = np.array(quantized.getpalette()[: 3 * 16], dtype=np.uint8).reshape(16, 3)
    variants["png-palette8.png"] = png_bytes(indices[..., None], 8, 3, palette=palette)
    variants["png-palette4.png"] = png_bytes(indices[..., None], 4, 3, palette=palette)
    variants["png-palette8-trns.png"] = png_bytes(indices[..., None], 8, 3, palette=palette,
                                                 trns=bytes([0, 64, 128, 200]))

    for name, data in variants.items():
        with open(os.path.join(CODEC, name), "wb") as f:
            f.write(data)
        im = Image.open(os.path.join(CODEC, name))
        im.load()
        if name == "png-gray1.png":
            pixels = np.array(im.convert("L"))
        elif name == "png-gray-alpha16.png":
            both = np.array(im)  # Pillow reads 16-bit gray+alpha as RGBA (high bytes) with R = G = B
            pixels = both[..., [0, 3]]
        elif name in ("png-gray16.png",):
            pixels = np.array(im).astype(np.uint16) >> 8  # Pillow keeps 16 bits here ("I;16"); Fovea takes the high byte
        elif name == "png-gray-trns.png":
            lum = np.array(im)
            pixels = np.dstack([lum, np.where(lum == im.info["transparency"], 0, 255)])
        elif name == "png-rgb-trns.png":
            col = np.array(im)
            key = np.array(im.info["transparency"])
            pixels = np.dstack([col, np.where((col == key).all(axis=2), 0, 255)])
        elif im.mode == "P":
            pixels = np.array(im.convert("RGBA" if "transparency" in im.info else "RGB"))
        else:
            pixels = np.array(im)
        pixels = pixels.reshape(im.height, im.width, -1)
        expected[name] = {"width": im.width, "height": im.height, "channels": int(pixels.shape[2]),
                          "bitDepth": {"png-gray1.png": 1, "png-gray4-interlaced.png": 4,
                                       "png-palette4.png": 4}.get(name, 16 if "16" in name else 8),
                          "pixels": b64(pixels)}

    # JPEGs written by Pillow; odd sizes exercise partial MCUs.
    photo = astronaut_crop(180, 90, 21, 13)
    jpegs = {
        "jpeg-baseline.jpg": dict(image=Image.fromarray(photo), quality=90),
        "jpeg-baseline-444.jpg": dict(image=Image.fromarray(photo), quality=95, subsampling=0),
        "jpeg-progressive.jpg": dict(image=Image.fromarray(photo), quality=85, progressive=True),
        "jpeg-gray.jpg": dict(image=Image.fromarray(photo).convert("L"), quality=90),
    }
    for tag in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = tag
        jpegs["jpeg-orientation-%d.jpg" % tag] = dict(image=Image.fromarray(photo), quality=90, exif=exif.tobytes())
    for name, spec in jpegs.items():
        image = spec.pop("image")
        image.save(os.path.join(CODEC, name), "JPEG", **spec)
        im = Image.open(os.path.join(CODEC, name))
        upright = ImageOps.exif_transpose(im)
        pixels = np.array(upright).reshape(upright.height, upright.width, -1)
        expected[name] = {"width": upright.width, "height": upright.height, "channels": int(pixels.shape[2]),
                          "bitDepth": 8, "pixels": b64(pixels)}

    # Junk between the tables and the frame header: libjpeg warns "extraneous bytes before marker",
    # Pillow ignores it, and so must Fovea (the pixels are intact).
    with open(os.path.join(CODEC, "jpeg-baseline.jpg"), "rb") as f:
        clean = f.read()
    sof = sof_offset(clean)
    name = "jpeg-extraneous-bytes.jpg"
    with open(os.path.join(CODEC, name), "wb") as f:
        f.write(clean[:sof] + b"\x00junk\x01\x02" + clean[sof:])
    upright = Image.open(os.path.join(CODEC, name))
    pixels = np.array(upright).reshape(upright.height, upright.width, -1)
    expected[name] = {"width": upright.width, "height": upright.height, "channels": int(pixels.shape[2]),
                      "bitDepth": 8, "pixels": b64(pixels)}

    expected["_about"] = {
        "pillow": PIL.__version__, "pillow_libjpeg_turbo": features.version("libjpeg_turbo"),
        "note": "pixels are base64 of row-major interleaved uint8, decoded by Pillow; 16-bit PNG samples "
                "mapped to 8 bits as v >> 8; orientation applied with ImageOps.exif_transpose",
    }
    with open(os.path.join(CODEC, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    return variants


# ---------------------------------------------------------------- bad inputs

def patch(data, offset, new):
    return data[:offset] + new + data[offset + len(new):]


def png_with_ihdr(width, height, depth=8, color_type=2, payload=b"\x00" * 8):
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0))
    out += chunk(b"IDAT", zlib.compress(payload))
    out += chunk(b"IEND", b"")
    return out


def sof_offset(data):
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            return i
        i += 2 + length
    raise ValueError("no SOF")


def sos_end(data):
    i = 2
    while True:
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker == 0xDA:
            return i + 2 + length
        i += 2 + length


def jpeg_bytes(image, **options):
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def make_bad_fixtures(variants):
    os.makedirs(BAD, exist_ok=True)
    png = variants["png-rgb8.png"]
    idat = png.index(b"IDAT")
    idat_length = struct.unpack(">I", png[idat - 4:idat])[0]
    with open(os.path.join(CODEC, "jpeg-baseline.jpg"), "rb") as f:
        jpeg = f.read()
    # A larger JPEG so the damaged entropy data certainly holds Huffman codes.
    big_jpeg = jpeg_bytes(Image.fromarray(astronaut_crop(100, 100, 160, 120)), quality=90)
    scan = sos_end(big_jpeg)
    # Random bits mostly still decode as Huffman codes; the stray RST marker is what libjpeg can detect.
    garbage = bytes(int(v) for v in rng.integers(0, 255, size=600))
    garbage = garbage[:300] + b"\xff\xd3" + garbage[302:]
    sof = sof_offset(jpeg)

    corrupt_zlib = bytearray(png[idat + 4: idat + 4 + idat_length])
    corrupt_zlib[10:30] = bytes(range(200, 220))
    corrupt_zlib_png = png[:idat - 4] + chunk(b"IDAT", bytes(corrupt_zlib)) + png[idat + 4 + idat_length + 4:]

    cmyk_jpeg = jpeg_bytes(Image.fromarray(astronaut_crop(0, 0, 16, 12)).convert("CMYK"), quality=90)

    bad = {
        "empty.png": (b"", "emptyFile", "zero bytes"),
        "not-an-image.png": (b"hello, this is a text file and not a PNG\n", "unknownFormat", "text with a .png name"),
        "damaged-signature.png": (patch(png, 1, b"Q"), "unknownFormat", "PNG signature byte 1 changed"),
        "truncated.png": (png[: idat + 4 + idat_length // 2], "truncated", "cut in the middle of IDAT"),
        "truncated-before-iend.png": (png[:-12], "truncated", "IEND chunk missing"),
        "bad-crc.png": (patch(png, idat + 4 + idat_length, bytes([png[idat + 4 + idat_length] ^ 0xFF])),
                        "corrupt", "IDAT data intact, its CRC damaged"),
        "bad-zlib.png": (corrupt_zlib_png, "corrupt", "IDAT zlib stream damaged, CRC recomputed"),
        "bad-ihdr.png": (png_with_ihdr(16, 12, depth=3), "corrupt", "IHDR bit depth 3 is not a PNG depth"),
        "short-idat.png": (png_with_ihdr(16, 12, payload=b"\x00" * (1 + 16 * 3) * 6), "corrupt",
                           "complete zlib stream holding 6 of 12 rows, CRCs valid"),
        "zero-width.png": (png_with_ihdr(0, 12), "zeroSize", "IHDR width 0"),
        "zero-height.png": (png_with_ihdr(16, 0), "zeroSize", "IHDR height 0"),
        "bomb.png": (png_with_ihdr(50000, 50000), "tooLarge", "IHDR claims 50000x50000 RGB (7.5 GB) in 70 bytes"),
        "bomb-wide.png": (png_with_ihdr(3000000, 40), "tooLarge",
                          "IHDR claims 3000000x40, wider than libpng's default 1000000 limit"),
        "truncated.jpg": (jpeg[: len(jpeg) * 6 // 10], "truncated", "cut at 60% inside the scan"),
        "truncated-header.jpg": (jpeg[:sof + 6], "truncated", "cut inside the SOF header"),
        "corrupt-entropy.jpg": (big_jpeg[:scan + 40] + garbage + big_jpeg[scan + 40 + len(garbage):], "corrupt",
                                "600 random bytes holding a stray RST marker written over the entropy-coded data"),
        "bad-sampling.jpg": (patch(jpeg, sof + 11, b"\x00"), "corrupt", "SOF sampling factors of component 1 set to 0"),
        "zero-height.jpg": (patch(jpeg, sof + 5, b"\x00\x00"), "zeroSize", "SOF height 0"),
        "bomb.jpg": (patch(jpeg, sof + 5, struct.pack(">HH", 60000, 60000)), "tooLarge",
                     "SOF claims 60000x60000 in a 1 kB file"),
        "cmyk.jpg": (cmyk_jpeg, "unsupported", "Adobe CMYK JPEG written by Pillow"),
        "precision12.jpg": (patch(jpeg, sof + 4, b"\x0c"), "unsupported",
                            "SOF declares 12-bit samples (libjpeg-turbo here decodes 8-bit only)"),
    }
    manifest = {}
    for name, (data, kind, note) in bad.items():
        with open(os.path.join(BAD, name), "wb") as f:
            f.write(data)
        try:
            Image.open(os.path.join(BAD, name)).load()
            pillow = "opened"
        except Exception as error:  # the point is to record how Pillow reacts
            pillow = type(error).__name__
        manifest[name] = {"error": kind, "note": note, "pillow": pillow}
    with open(os.path.join(BAD, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


# ---------------------------------------------------------------- image ops

def make_ops_fixtures():
    ops = {}
    rgb = rng.integers(0, 256, size=(9, 11, 3), dtype=np.uint8)
    rgba = np.dstack([rgb, rng.integers(0, 256, size=(9, 11), dtype=np.uint8)])
    ops["grayscale"] = {"width": 11, "height": 9, "rgb": b64(rgb), "rgba": b64(rgba),
                        "expectedFromRGB": b64(np.array(Image.fromarray(rgb).convert("L"))),
                        "expectedFromRGBA": b64(np.array(Image.fromarray(rgba, "RGBA").convert("L")))}
    photo = astronaut_crop(150, 60, 32, 24)
    ops["photoGrayscale"] = {"width": 32, "height": 24, "rgb": b64(photo),
                             "expected": b64(np.array(Image.fromarray(photo).convert("L")))}

    image = Image.fromarray(rgb)
    ops["crops"] = []
    for box in [(2, 1, 9, 7), (0, 0, 11, 9), (-3, -2, 5, 4), (8, 6, 15, 12), (-1, -1, 12, 10), (20, 20, 23, 22)]:
        x0, y0, x1, y1 = box
        ops["crops"].append({"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0,
                             "expected": b64(np.array(image.crop(box)))})
    ops["pad"] = {"left": 2, "top": 1, "right": 3, "bottom": 4, "value": 77,
                  "expected": b64(np.array(ImageOps.expand(image, border=(2, 1, 3, 4), fill=(77, 77, 77))))}
    T = Image.Transpose
    ops["transposes"] = {name: {"width": out.width, "height": out.height, "expected": b64(np.array(out))}
                         for name, out in [("flippedHorizontally", image.transpose(T.FLIP_LEFT_RIGHT)),
                                           ("flippedVertically", image.transpose(T.FLIP_TOP_BOTTOM)),
                                           ("rotated180", image.transpose(T.ROTATE_180)),
                                           ("rotatedClockwise", image.transpose(T.ROTATE_270)),
                                           ("rotatedCounterClockwise", image.transpose(T.ROTATE_90)),
                                           ("transposed", image.transpose(T.TRANSPOSE)),
                                           ("transversed", image.transpose(T.TRANSVERSE))]}

    ops["resizes"] = []
    for w, h in [(23, 17), (5, 4), (11, 9), (3, 14), (1, 1), (30, 2)]:
        zoomed = np.stack([ndi.zoom(rgb[..., k].astype(np.float64), (h / 9, w / 11), order=1,
                                    mode="nearest", grid_mode=True) for k in range(3)], axis=-1)
        assert zoomed.shape == (h, w, 3), zoomed.shape
        ops["resizes"].append({"width": w, "height": h, "expected": floats(zoomed)})
    with open(os.path.join(FIXTURES, "ops.json"), "w") as f:
        json.dump({"about": "grayscale/crop/pad/transposes from Pillow %s; resizes from scipy %s "
                            "ndimage.zoom(order=1, mode='nearest', grid_mode=True) in float64"
                            % (PIL.__version__, scipy.__version__), "source": b64(rgb), **ops}, f)


# ---------------------------------------------------------------- convolution

def make_convolution_fixtures():
    cases = []
    shapes = [((5, 7), (3, 3)), ((6, 8), (2, 2)), ((7, 5), (4, 3)), ((4, 9), (1, 5)), ((8, 3), (5, 1)),
              ((6, 6), (2, 4)), ((5, 5), (5, 5)), ((3, 4), (6, 7)), ((1, 1), (3, 2))]
    for (h, w), (kh, kw) in shapes:
        image = rng.normal(size=(h, w)).round(3)
        kernel = rng.normal(size=(kh, kw)).round(3)
        for mode in ("full", "same", "valid"):
            case = {"mode": mode, "width": w, "height": h, "image": floats(image),
                    "kernelWidth": kw, "kernelHeight": kh, "kernel": floats(kernel)}
            try:
                out = signal.convolve2d(image, kernel, mode=mode)
                case.update(outWidth=out.shape[1], outHeight=out.shape[0], expected=floats(out))
            except ValueError as error:
                case["error"] = str(error)
            cases.append(case)
    # One where neither input contains the other: scipy refuses `valid`.
    image, kernel = rng.normal(size=(3, 6)), rng.normal(size=(5, 2))
    try:
        signal.convolve2d(image, kernel, mode="valid")
        raise AssertionError("scipy accepted a non-nested valid convolution")
    except ValueError as error:
        cases.append({"mode": "valid", "width": 6, "height": 3, "image": floats(image), "kernelWidth": 2,
                      "kernelHeight": 5, "kernel": floats(kernel), "error": str(error)})

    # Filters on a real photo crop, grayscale by Pillow, references from scipy.ndimage.
    crop = astronaut_crop(220, 40, 40, 30)
    gray = np.array(Image.fromarray(crop).convert("L")).astype(np.float64)
    sx = ndi.sobel(gray, axis=1, mode="constant")  # positive where brightness grows to the right
    sy = ndi.sobel(gray, axis=0, mode="constant")  # positive where brightness grows downward
    magnitude = np.hypot(sx, sy)
    filters = {
        "sobel-x": sx, "sobel-x-flipped": -sx, "sobel-y": sy, "sobel-y-flipped": -sy,
        "sobel-magnitude": magnitude,
        "box": ndi.uniform_filter(gray, size=3, mode="constant"),
        "box5": ndi.uniform_filter(gray, size=5, mode="constant"),
        "box4": signal.convolve2d(gray, np.full((4, 4), 1 / 16), mode="same"),
        "gaussian": ndi.gaussian_filter(gray, sigma=1.0, mode="constant", truncate=3.0),
        "gaussian1.5": ndi.gaussian_filter(gray, sigma=1.5, mode="constant", truncate=3.0),
        "laplacian": ndi.laplace(gray, mode="constant"),
        "sharpen": gray - ndi.laplace(gray, mode="constant"),
    }
    photo = {"width": 40, "height": 30, "rgb": b64(crop), "gray": b64(gray),
             "filters": {name: floats(values) for name, values in filters.items()},
             "sobelMagnitude8": b64(np.floor(np.minimum(magnitude, 255) + 0.5))}
    with open(os.path.join(FIXTURES, "convolution.json"), "w") as f:
        json.dump({"about": "scipy %s signal.convolve2d (boundary fill 0) and ndimage filters (mode constant)"
                            % scipy.__version__, "cases": cases, "photo": photo}, f)


if __name__ == "__main__":
    variants = make_codec_fixtures()
    make_bad_fixtures(variants)
    make_ops_fixtures()
    make_convolution_fixtures()
    print("fixtures written to", FIXTURES)

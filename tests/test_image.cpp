// Image decoding (image/, tare_image) and the library's pixel preprocessing (tare_image_preprocess: every format,
// stride, rotation, crop and resize) checked bit for bit against Pillow itself, and MobileNet-v2's top-1 through
// tare_session_set_input_image on real images checked against TFLite's.
#include <tare/tare.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "test_util.h"

#if TARE_HAVE_IMAGE
#include "image.h"
#endif

namespace fs = std::filesystem;

namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

// The system python (Debian's, where python3-pil installs); TARE_PYTHON overrides it.
std::string python() {
  const char* env = std::getenv("TARE_PYTHON");
  return env && *env ? env : "/usr/bin/python3";
}

bool require_data_mode() {
  const char* req = std::getenv("TARE_REQUIRE_DATA");
  return req && std::string(req) == "1";
}

// The system python with Pillow (Debian's python3-pil); prints a SKIPPED line and returns false when missing.
bool have_pillow() {
  static int state = -1;
  if (state < 0) {
    std::string cmd = tare::test::without_preload(quote(python())) + " -c \"import PIL.Image\" > /dev/null 2>&1";
    state = fs::exists(python()) && std::system(cmd.c_str()) == 0 ? 1 : 0;
  }
  if (state == 1) return true;
  if (require_data_mode()) {
    FAIL("Pillow missing: " << python() << " with PIL is required (apt-get install python3-pil) (TARE_REQUIRE_DATA=1)");
  } else {
    std::printf("SKIPPED (no Pillow): the bit-exact image tests need %s with PIL (apt-get install python3-pil)\n",
                python().c_str());
  }
  return false;
}

// From the source folder, not __FILE__: a compiler cache may make __FILE__ relative to the build folder.
std::string script_path() { return std::string(TARE_SOURCE_DIR) + "/tests/tools/pil_preprocess.py"; }

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("tare_image_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Diff {
  size_t count = 0;
  int max_abs = 0;
};

Diff diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  Diff d;
  if (a.size() != b.size()) return {std::max(a.size(), b.size()), 256};
  for (size_t i = 0; i < a.size(); i++) {
    int e = std::abs(int(a[i]) - int(b[i]));
    if (e) {
      d.count++;
      d.max_abs = std::max(d.max_abs, e);
    }
  }
  return d;
}

}  // namespace

#if TARE_HAVE_IMAGE
namespace img = tare::image;

namespace {

struct PilResult {
  int width = 0, height = 0;     // decoded size
  std::vector<uint8_t> decoded;  // convert('RGB')
  std::vector<uint8_t> resized;  // crop + resize
};

// Runs the Pillow script over `images`; returns one result per image (REQUIREs success).
std::vector<PilResult> run_pillow(const TempDir& tmp, const std::vector<std::string>& images, int width, int height,
                                  double fraction) {
  fs::path list = tmp.path / "list.txt";
  {
    std::ofstream f(list);
    for (const auto& p : images) f << p << "\n";
  }
  fs::path out = tmp.path / "pil";
  char frac[32];
  std::snprintf(frac, sizeof(frac), "%.17g", fraction);
  std::string cmd = tare::test::without_preload(quote(python())) + " " + quote(script_path()) + " process " +
                    quote(list.string()) + " " + quote(out.string()) + " " + std::to_string(width) + " " +
                    std::to_string(height) + " " + frac;
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "failed: " << cmd);
  std::vector<PilResult> results(images.size());
  std::ifstream manifest(out / "manifest.txt");
  int i, w, h;
  while (manifest >> i >> w >> h) {
    REQUIRE(i >= 0);
    REQUIRE(size_t(i) < images.size());
    results[i].width = w;
    results[i].height = h;
    results[i].decoded = tare::test::read_file((out / (std::to_string(i) + ".decoded.rgb")).string());
    results[i].resized = tare::test::read_file((out / (std::to_string(i) + ".rgb")).string());
  }
  return results;
}

// Compares decode and crop+resize of each image with Pillow; returns the number of images fully equal.
int compare_with_pillow(const std::vector<std::string>& images, int width, int height, double fraction) {
  TempDir tmp;
  auto pil = run_pillow(tmp, images, width, height, fraction);
  int equal = 0;
  for (size_t i = 0; i < images.size(); i++) {
    CAPTURE(images[i]);
    img::Image ours = img::decode_file(images[i]);
    REQUIRE(ours.width == pil[i].width);
    REQUIRE(ours.height == pil[i].height);
    Diff dd = diff(ours.rgb, pil[i].decoded);
    img::PreprocessOptions o;
    o.crop_fraction = fraction;
    img::Image small = img::preprocess_rgb(images[i], width, height, o);
    Diff dr = diff(small.rgb, pil[i].resized);
    if (dd.count || dr.count)
      std::printf("image mismatch vs Pillow: %s (%dx%d): decode %zu bytes differ (max %d), resized %zu (max %d)\n",
                  images[i].c_str(), ours.width, ours.height, dd.count, dd.max_abs, dr.count, dr.max_abs);
    CHECK(dd.count == 0);
    CHECK(dr.count == 0);
    if (!dd.count && !dr.count) equal++;
  }
  return equal;
}

// ~40 images of the sample: every grayscale one, the smallest (upscaled), odd sizes, extreme aspect ratios and the
// largest.
const char* kSampleImages[] = {
    // grayscale JPEGs (all 23 of the sample)
    "n02096051_Airedale.JPEG",
    "n02676566_acoustic_guitar.JPEG",
    "n02692877_airship.JPEG",
    "n02749479_assault_rifle.JPEG",
    "n02815834_beaker.JPEG",
    "n02823750_beer_glass.JPEG",
    "n03388043_fountain.JPEG",
    "n03417042_garbage_truck.JPEG",
    "n03692522_loupe.JPEG",
    "n03697007_lumbermill.JPEG",
    "n03764736_milk_can.JPEG",
    "n03804744_nail.JPEG",
    "n03873416_paddle.JPEG",
    "n03908714_pencil_sharpener.JPEG",
    "n03992509_potter's_wheel.JPEG",
    "n04008634_projectile.JPEG",
    "n04090263_rifle.JPEG",
    "n04254680_soccer_ball.JPEG",
    "n04356056_sunglasses.JPEG",
    "n04371774_swing.JPEG",
    "n04372370_switch.JPEG",
    "n04532670_viaduct.JPEG",
    "n04554684_washer.JPEG",
    // smaller than 224 (upscaling)
    "n01871265_tusker.JPEG",
    "n03866082_overskirt.JPEG",
    "n02817516_bearskin.JPEG",
    "n03584829_iron.JPEG",
    // odd sizes
    "n04254120_soap_dispenser.JPEG",
    "n02093647_Bedlington_terrier.JPEG",
    "n02095570_Lakeland_terrier.JPEG",
    "n02113799_standard_poodle.JPEG",
    "n02100877_Irish_setter.JPEG",
    "n03777754_modem.JPEG",
    "n01773549_barn_spider.JPEG",
    "n02870880_bookcase.JPEG",
    // extreme aspect ratios
    "n01748264_Indian_cobra.JPEG",
    "n04238763_slide_rule.JPEG",
    "n03781244_monastery.JPEG",
    // the largest, and the reference figures' image
    "n02091032_Italian_greyhound.JPEG",
    "n03843555_oil_filter.JPEG",
    "n01440764_tench.JPEG",
};

// The JPEG with the width and height of its frame header (SOFn) replaced.
std::vector<uint8_t> jpeg_with_size(std::vector<uint8_t> b, uint16_t width, uint16_t height) {
  for (size_t i = 2; i + 9 < b.size();) {
    REQUIRE(b[i] == 0xFF);
    const uint8_t marker = b[i + 1];
    const size_t len = size_t(b[i + 2]) << 8 | b[i + 3];
    if (marker >= 0xC0 && marker <= 0xC2) {  // precision, height, width
      b[i + 5] = uint8_t(height >> 8), b[i + 6] = uint8_t(height);
      b[i + 7] = uint8_t(width >> 8), b[i + 8] = uint8_t(width);
      return b;
    }
    i += 2 + len;
  }
  FAIL("no SOF marker");
  return b;
}

// PNG's chunk CRC (ISO 3309), bit by bit.
uint32_t png_crc(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

// A PNG of 8-bit RGB whose header claims width x height, followed by `idat` bytes of image data and IEND.
std::vector<uint8_t> png_claiming(uint32_t width, uint32_t height, size_t idat) {
  std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  auto be32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
  };
  auto chunk = [&](const char* type, const std::vector<uint8_t>& data) {
    be32(uint32_t(data.size()));
    const size_t start = b.size();
    b.insert(b.end(), type, type + 4);
    b.insert(b.end(), data.begin(), data.end());
    be32(png_crc(b.data() + start, b.size() - start));
  };
  std::vector<uint8_t> ihdr;
  for (uint32_t v : {width, height})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(uint8_t(v >> s));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter variant, not interlaced
  chunk("IHDR", ihdr);
  std::vector<uint8_t> data(idat, 0);
  if (idat >= 2) data[0] = 0x78, data[1] = 0x9C;  // a zlib header
  chunk("IDAT", data);
  chunk("IEND", {});
  return b;
}

std::string decode_error(const std::vector<uint8_t>& bytes) {
  try {
    img::decode_memory(bytes.data(), bytes.size());
  } catch (const img::ImageError& e) {
    return e.what();
  }
  return "(decoded)";
}

}  // namespace

TEST_SUITE("image") {
  TEST_CASE("bad image files give errors, not crashes") {
    TempDir tmp;
    CHECK_THROWS_AS(img::decode_file((tmp.path / "missing.jpg").string()), img::ImageError);
    auto write = [&](const char* name, const std::vector<uint8_t>& bytes) {
      std::string p = (tmp.path / name).string();
      std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      return p;
    };
    CHECK_THROWS_AS(img::decode_file(write("text.jpg", {'h', 'e', 'l', 'l', 'o'})), img::ImageError);
    CHECK_THROWS_AS(img::decode_file(write("empty.png", {})), img::ImageError);
    CHECK_THROWS_AS(img::decode_file(write("trunc.jpg", {0xFF, 0xD8, 0xFF, 0xE0, 0x00})), img::ImageError);
    CHECK_THROWS_AS(img::decode_file(write("trunc.png", {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0})),
                    img::ImageError);
    if (tare::test::have_data("images/imagenet_sample_1000/n01440764_tench.JPEG")) {
      auto bytes = tare::test::read_file(tare::test::data_path("images/imagenet_sample_1000/n01440764_tench.JPEG"));
      bytes.resize(bytes.size() / 3);
      // libjpeg pads a truncated scan with gray and warns; Pillow refuses the file, and so do we.
      CHECK_THROWS_AS(img::decode_memory(bytes.data(), bytes.size()), img::ImageError);
    }
    int32_t shape[4] = {1, 224, 224, 4};
    CHECK_THROWS_AS(img::load_input("x.jpg", shape, 4, {}), img::ImageError);
  }

  TEST_CASE("a header claiming more pixels than the data holds, or than 64 megapixels, is refused before decoding") {
    // PNG: the 69-byte file claiming 16384 x 16384 is above the limit; under it, 8000 x 8000 RGB rows
    // cannot come from 69 bytes (deflate expands at most 1032:1).
    std::vector<uint8_t> png = png_claiming(16384, 16384, 12);
    REQUIRE(png.size() == 69);
    CHECK(decode_error(png).find("PNG header claims 16384x16384 pixels, above the 64-megapixel limit") !=
          std::string::npos);
    CHECK(decode_error(png_claiming(8000, 8000, 12))
              .find("PNG header claims 8000x8000 pixels, more than its 69 bytes of data can hold") !=
          std::string::npos);
    // A small claim with the same bytes decodes as far as its data: a zlib error, not a size error.
    CHECK(decode_error(png_claiming(4, 4, 4)).find("claims") == std::string::npos);

    TempDir tmp;
    CHECK(decode_error({}).find("empty") != std::string::npos);
    try {
      img::decode_file(tmp.path.string());
      FAIL("a directory decoded");
    } catch (const img::ImageError& e) {
      CHECK(std::string(e.what()).find("is not a regular file") != std::string::npos);
    }

    const std::string tench = "images/imagenet_sample_1000/n01440764_tench.JPEG";
    if (!tare::test::have_data(tench)) return;
    const std::vector<uint8_t> jpeg = tare::test::read_file(tare::test::data_path(tench));
    // JPEG: the 631-byte file claiming 16000 x 16000 is above the limit; under it, 8000 x 8000 needs a
    // million 8x8 blocks, at least a bit each with Huffman coding.
    std::vector<uint8_t> big = jpeg_with_size(jpeg, 16000, 16000);
    big.resize(631);
    CHECK(decode_error(big).find("JPEG header claims 16000x16000 pixels, which is above the 64-megapixel limit") !=
          std::string::npos);
    big = jpeg_with_size(jpeg, 8000, 8000);
    big.resize(631);
    CHECK(decode_error(big).find("JPEG header claims 8000x8000 pixels, which needs more data than the file holds") !=
          std::string::npos);
    // Entropy-coded data that breaks off: libjpeg pads with gray and warns; every such warning is an error.
    std::vector<uint8_t> cut = jpeg;
    cut.resize(cut.size() / 3);
    CHECK(decode_error(cut).find("JPEG data is truncated or corrupt") != std::string::npos);
    std::vector<uint8_t> holed = jpeg;  // a marker in the middle of the scan data
    holed[holed.size() / 2] = 0xFF, holed[holed.size() / 2 + 1] = 0xD9;
    CHECK(decode_error(holed).find("JPEG data is truncated or corrupt") != std::string::npos);
    CHECK(decode_error(jpeg) == "(decoded)");
  }

  TEST_CASE("decode + central crop + resize are bit-exact with Pillow on the sample images") {
    if (!tare::test::have_data("images/imagenet_sample_1000")) return;
    if (!have_pillow()) return;
    std::vector<std::string> images;
    for (const char* name : kSampleImages)
      images.push_back(tare::test::data_path(std::string("images/imagenet_sample_1000/") + name));
    int equal = compare_with_pillow(images, 224, 224, 0.875);
    std::printf("image: %d of %zu sample images bit-exact with Pillow (decode and 224x224 crop+resize)\n", equal,
                images.size());
    CHECK(equal == int(images.size()));
    // Other sizes, non-square, and no crop.
    std::vector<std::string> few(images.begin(), images.begin() + 3);
    few.push_back(images.back());
    few.push_back(images[25]);
    CHECK(compare_with_pillow(few, 128, 128, 0.875) == int(few.size()));
    CHECK(compare_with_pillow(few, 300, 97, 1.0) == int(few.size()));
  }

  TEST_CASE("PNG kinds, CMYK and progressive JPEGs convert like Pillow's convert('RGB')") {
    if (!tare::test::have_data("images/imagenet_sample_1000/n04254680_soccer_ball.JPEG")) return;
    if (!have_pillow()) return;
    TempDir tmp;
    fs::path vdir = tmp.path / "variants";
    std::string src = tare::test::data_path("images/imagenet_sample_1000/n01440764_tench.JPEG");
    std::string list = (tmp.path / "variants.txt").string();
    std::string cmd = tare::test::without_preload(quote(python())) + " " + quote(script_path()) + " variants " +
                      quote(src) + " " + quote(vdir.string()) + " > " + quote(list);
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "failed: " << cmd);
    std::vector<std::string> files;
    std::ifstream f(list);
    for (std::string line; std::getline(f, line);)
      if (!line.empty()) files.push_back((vdir / line).string());
    REQUIRE(files.size() >= 10);
    int equal = compare_with_pillow(files, 224, 224, 0.875);
    std::printf("image: %d of %zu PNG/CMYK/progressive variants bit-exact with Pillow\n", equal, files.size());
    CHECK(equal == int(files.size()));
  }

  TEST_CASE("default float input equals the reference input tensors") {
    // The reference inputs of the data folder were made by Pillow + float32(u8 / 127.5 - 1).
    struct Case {
      const char* image;
      const char* ref;
      int size;
    } cases[] = {
        {"images/imagenet_sample_1000/n01440764_tench.JPEG", "ref/mobilenet_v2_1.0_224_float/in_img1.bin", 224},
        {"images/imagenet_sample_1000/n03124170_cowboy_hat.JPEG", "ref/face_detection_short_range/in_img0.bin", 128},
    };
    for (const auto& c : cases) {
      if (!tare::test::have_data(c.image) || !tare::test::have_data(c.ref)) return;
      int32_t shape[4] = {1, c.size, c.size, 3};
      std::vector<float> ours = img::load_input(tare::test::data_path(c.image), shape, 4);
      std::vector<float> ref = tare::test::read_floats(tare::test::data_path(c.ref));
      REQUIRE(ours.size() == ref.size());
      size_t differ = 0;
      for (size_t i = 0; i < ref.size(); i++) differ += std::memcmp(&ours[i], &ref[i], 4) != 0;
      CAPTURE(c.image);
      CHECK(differ == 0);
    }
    // (pixel - mean) / std per channel.
    img::Image one;
    one.width = one.height = 1;
    one.rgb = {0, 128, 255};
    img::Normalization n;
    n.mean[0] = 0;
    n.std[0] = 255;
    n.mean[1] = 128;
    n.std[1] = 1;
    n.mean[2] = 127.5;
    n.std[2] = 127.5;
    auto v = img::to_float(one, n);
    CHECK(v[0] == 0.0f);
    CHECK(v[1] == 0.0f);
    CHECK(v[2] == 1.0f);
  }

  namespace {

  std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) out.push_back(cell);
    return out;
  }

// Fails the test with the C API's message.
#define TARE_CHECK_OK(call) \
  do { \
    tare_status st_ = (call); \
    REQUIRE_MESSAGE(st_ == TARE_OK, #call << ": " << tare_status_string(st_) << ": " << tare_last_error()); \
  } while (0)

  }  // namespace

  TEST_CASE("MobileNet-v2 float top-1 through tare_session_set_input_image from image files matches TFLite") {
    const char* model_rel = "models/mobilenet_v2_1.0_224_float.tflite";
    if (!tare::test::have_data(model_rel) || !tare::test::have_data("images/labels.csv") ||
        !tare::test::have_data("ref/float_top1_sample.csv"))
      return;
    uint32_t devices = 0;
    if (tare_device_count(&devices) != TARE_OK || devices == 0) {
      std::printf("SKIPPED (no Vulkan device): %s\n", tare_last_error());
      return;
    }

    // filename (relative to images/) -> (TFLite top-1, margin)
    std::map<std::string, std::pair<int, double>> ref;
    {
      std::ifstream f(tare::test::data_path("ref/float_top1_sample.csv"));
      std::string line;
      std::getline(f, line);
      auto header = split_csv(line);
      auto col = [&](const char* name) {
        auto it = std::find(header.begin(), header.end(), name);
        REQUIRE_MESSAGE(it != header.end(), "float_top1_sample.csv has no column " << name);
        return size_t(it - header.begin());
      };
      size_t c_file = col("filename"), c_top1 = col("v2_float_top1"), c_margin = col("v2_float_margin");
      while (std::getline(f, line)) {
        auto cells = split_csv(line);
        if (cells.size() != header.size()) continue;
        std::string name = cells[c_file];
        if (name.rfind("images/", 0) == 0) name = name.substr(7);
        ref[name] = {std::stoi(cells[c_top1]), std::stod(cells[c_margin])};
      }
    }
    std::vector<std::string> images;
    {
      std::ifstream f(tare::test::data_path("images/labels.csv"));
      std::string line;
      std::getline(f, line);
      while (images.size() < 100 && std::getline(f, line)) {
        auto cells = split_csv(line);
        if (!cells.empty()) images.push_back(cells[0]);
      }
    }
    REQUIRE(images.size() == 100);

    tare_context* ctx = nullptr;
    tare_model* model = nullptr;
    tare_session* session = nullptr;
    TARE_CHECK_OK(tare_context_create(nullptr, &ctx));
    TARE_CHECK_OK(tare_model_load_file(ctx, tare::test::data_path(model_rel).c_str(), &model));
    TARE_CHECK_OK(tare_session_create(model, nullptr, &session));
    tare_tensor_info in, out;
    tare_tensor_info_init(&in);
    tare_tensor_info_init(&out);
    TARE_CHECK_OK(tare_session_input_info(session, 0, &in));
    TARE_CHECK_OK(tare_session_output_info(session, 0, &out));
    REQUIRE(in.dtype == TARE_DTYPE_FLOAT32);
    REQUIRE(out.dtype == TARE_DTYPE_FLOAT32);
    REQUIRE(out.byte_size == 1001 * sizeof(float));

    int compared = 0, matched = 0, skipped_margin = 0;
    std::vector<float> probs(out.byte_size / sizeof(float));
    for (const auto& name : images) {
      auto it = ref.find(name);
      REQUIRE_MESSAGE(it != ref.end(), name << " is not in float_top1_sample.csv");
      if (it->second.second < 0.05) {
        skipped_margin++;
        continue;
      }
      // Decoded by image/, preprocessed by the library with its defaults (the CLI's pipeline).
      const img::Image decoded = img::decode_file(tare::test::data_path("images/" + name));
      tare_pixels pixels;
      tare_pixels_init(&pixels);
      pixels.format = TARE_PIXEL_RGB8;
      pixels.width = decoded.width;
      pixels.height = decoded.height;
      pixels.data = decoded.rgb.data();
      TARE_CHECK_OK(tare_session_set_input_image(session, 0, &pixels, nullptr));
      TARE_CHECK_OK(tare_session_run(session));
      TARE_CHECK_OK(tare_session_get_output(session, 0, probs.data(), out.byte_size));
      int top1 = int(tare::test::argmax(probs));
      compared++;
      if (top1 == it->second.first) matched++;
      else
        std::printf("top-1 differs: %s: tare %d, TFLite %d (margin %.3f)\n", name.c_str(), top1, it->second.first,
                    it->second.second);
    }
    tare_session_destroy(session);
    tare_model_destroy(model);
    tare_context_destroy(ctx);
    std::printf(
        "image: MobileNet-v2 float top-1 via the C API: %d of %d compared images match TFLite "
        "(%d of the first 100 skipped: margin < 0.05)\n",
        matched, compared, skipped_margin);
    CHECK(compared > 0);
    CHECK(matched == compared);
  }

}  // TEST_SUITE("image")

#else  // !TARE_HAVE_IMAGE

TEST_SUITE("image") {
  TEST_CASE("image preprocessing library not built") {
    std::printf("SKIPPED: tare_image was not built (libjpeg / libpng missing?)\n");
  }
}

#endif

// ---- the library's pixel preprocessing (tare_image_preprocess) against Pillow ------------------------------------

namespace {

const char* const kFormatNames[] = {"RGBA8", "BGRA8", "RGB8", "BGR8", "GRAY8", "NV21", "NV12"};

// Deterministic pixel bytes with structure (gradients) and noise, so that every tap of a filter matters.
std::vector<uint8_t> test_bytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x = x * 1664525u + 1013904223u;
    b[i] = uint8_t((i * 7 + (x >> 24) / 4) & 0xFF);
  }
  return b;
}

// One call of tare_image_preprocess into a [1, h, w, 3] tensor of `dtype`.
struct TensorSpec {
  int width = 0;
  int height = 0;
  tare_dtype dtype = TARE_DTYPE_FLOAT32;
  int quantized = 0;
  float scale = 1.0f;
  int64_t zero_point = 0;
};

tare_tensor_info tensor_of(const TensorSpec& t) {
  tare_tensor_info info;
  tare_tensor_info_init(&info);
  info.dtype = t.dtype;
  info.rank = 4;
  info.shape[0] = 1, info.shape[1] = t.height, info.shape[2] = t.width, info.shape[3] = 3;
  info.quantized = t.quantized;
  info.scale = t.scale;
  info.zero_point = t.zero_point;
  return info;
}

std::vector<uint8_t> preprocess_bytes(const tare_pixels& pixels, const tare_image_options& options,
                                      const TensorSpec& t) {
  const size_t bytes = size_t(t.width) * t.height * 3 * (t.dtype == TARE_DTYPE_FLOAT32 ? 4 : 1);
  std::vector<uint8_t> out(bytes);
  const tare_tensor_info info = tensor_of(t);
  const tare_status st = tare_image_preprocess(&pixels, &options, &info, out.data(), out.size());
  REQUIRE_MESSAGE(st == TARE_OK, tare_status_string(st) << ": " << tare_last_error());
  return out;
}

// A caller's buffer and what to do with it: one line of pil_preprocess.py's `pixels` mode.
struct PixelCase {
  std::string name;
  tare_pixel_format format = TARE_PIXEL_RGB8;
  int width = 0, height = 0;
  size_t stride = 0;        // 0: packed
  size_t uv_offset = 0;     // NV12/NV21: where the chroma plane starts in `buffer`
  size_t uv_stride = 0;     // 0: the Y stride
  bool uv_pointer = false;  // pass `uv` explicitly (else it must follow the Y plane)
  tare_image_options options{};
  int out_width = 0, out_height = 0;
  tare_dtype qtype = TARE_DTYPE_INT8;
  float scale = 1.0f;
  int zero_point = 0;
  std::vector<uint8_t> buffer;
};

// A case over a generated buffer of `format`, with `pad` bytes after every row.
PixelCase make_case(const std::string& name, tare_pixel_format format, int width, int height, size_t pad,
                    bool uv_pointer) {
  static const int bpp[] = {4, 4, 3, 3, 1, 1, 1};
  PixelCase c;
  c.name = name;
  c.format = format;
  c.width = width;
  c.height = height;
  const size_t row = size_t(width) * bpp[format];
  c.stride = row + pad;
  size_t total = c.stride * height;
  if (format == TARE_PIXEL_NV12 || format == TARE_PIXEL_NV21) {
    const size_t uv_row = 2 * size_t((width + 1) / 2), uv_rows = size_t((height + 1) / 2);
    if (uv_pointer) {  // its own stride, and a gap after the Y plane
      c.uv_pointer = true;
      c.uv_stride = uv_row + 3;
      c.uv_offset = total + 11;
    } else {  // right after the Y plane, with the Y stride (which must hold a chroma row)
      c.uv_stride = std::max(c.stride, uv_row);
      c.stride = c.uv_stride;
      total = c.stride * height;
      c.uv_offset = total;
    }
    total = c.uv_offset + c.uv_stride * uv_rows;
  }
  c.buffer = test_bytes(total, uint32_t(std::hash<std::string>()(name)));
  tare_image_options_init(&c.options);
  return c;
}

tare_pixels pixels_of(const PixelCase& c) {
  tare_pixels p;
  tare_pixels_init(&p);
  p.format = c.format;
  p.width = c.width;
  p.height = c.height;
  p.data = c.buffer.data();
  p.stride = c.stride;
  if (c.uv_pointer) {
    p.uv = c.buffer.data() + c.uv_offset;
    p.uv_stride = c.uv_stride;
  }
  return p;
}

std::string case_line(const PixelCase& c, const std::string& raw_path) {
  const tare_image_options& o = c.options;
  char line[1024];
  std::snprintf(line, sizeof line,
                "%s %s %s %d %d %zu %zu %zu %d %d %d %d %d %.17g %s %d %d %s %.17g %.17g %.17g %.17g %.17g %.17g %s "
                "%.9g %d\n",
                c.name.c_str(), raw_path.c_str(), kFormatNames[c.format], c.width, c.height, c.stride, c.uv_offset,
                c.uv_stride, int(o.rotation), o.crop_x, o.crop_y, o.crop_width, o.crop_height, o.crop_fraction,
                o.resize == TARE_RESIZE_NEAREST ? "nearest" : "bilinear", c.out_width, c.out_height,
                o.channels == TARE_CHANNELS_BGR ? "bgr" : "rgb", o.mean[0], o.mean[1], o.mean[2], o.std[0], o.std[1],
                o.std[2], c.qtype == TARE_DTYPE_INT8 ? "int8" : "uint8", double(c.scale), c.zero_point);
  return line;
}

// Every case through tare_image_preprocess (pixels, float32, and int8 or uint8) against Pillow; returns the
// number of cases whose three outputs are all bit-exact.
int compare_pixels_with_pillow(const std::vector<PixelCase>& cases) {
  TempDir tmp;
  const fs::path cases_file = tmp.path / "cases.txt";
  {
    std::ofstream f(cases_file);
    for (const auto& c : cases) {
      const std::string raw = (tmp.path / (c.name + ".raw")).string();
      std::ofstream(raw, std::ios::binary)
          .write(reinterpret_cast<const char*>(c.buffer.data()), std::streamsize(c.buffer.size()));
      f << case_line(c, raw);
    }
  }
  const fs::path out = tmp.path / "pil";
  const std::string cmd = tare::test::without_preload(quote(python())) + " " + quote(script_path()) + " pixels " +
                          quote(cases_file.string()) + " " + quote(out.string());
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "failed: " << cmd);
  int exact = 0;
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const tare_pixels pixels = pixels_of(c);
    const std::string base = (out / c.name).string();
    const std::vector<uint8_t> pil_rgb = tare::test::read_file(base + ".rgb");
    const std::vector<uint8_t> pil_f32 = tare::test::read_file(base + ".f32");
    const std::vector<uint8_t> pil_q = tare::test::read_file(base + ".q");
    TensorSpec t{c.out_width, c.out_height, TARE_DTYPE_UINT8, 0, 1.0f, 0};
    const std::vector<uint8_t> rgb = preprocess_bytes(pixels, c.options, t);
    t.dtype = TARE_DTYPE_FLOAT32;
    const std::vector<uint8_t> f32 = preprocess_bytes(pixels, c.options, t);
    t = TensorSpec{c.out_width, c.out_height, c.qtype, 1, c.scale, c.zero_point};
    const std::vector<uint8_t> q = preprocess_bytes(pixels, c.options, t);
    const Diff d_rgb = diff(rgb, pil_rgb), d_f32 = diff(f32, pil_f32), d_q = diff(q, pil_q);
    if (d_rgb.count || d_f32.count || d_q.count)
      std::printf("pixels mismatch vs Pillow: %s: pixels %zu bytes differ (max %d), float %zu bytes, quantized %zu\n",
                  c.name.c_str(), d_rgb.count, d_rgb.max_abs, d_f32.count, d_q.count);
    CHECK(d_rgb.count == 0);
    CHECK(d_f32.count == 0);
    CHECK(d_q.count == 0);
    exact += !d_rgb.count && !d_f32.count && !d_q.count;
  }
  return exact;
}

}  // namespace

TEST_SUITE("image") {
  TEST_CASE("pixels: every format, stride, rotation, crop and resize is bit-exact with Pillow") {
    if (!have_pillow()) return;
    std::vector<PixelCase> cases;
    const int sizes[][2] = {{37, 23}, {23, 37}, {16, 9}, {40, 30}};
    const int outs[][2] = {{16, 12}, {53, 41}, {37, 23}, {7, 19}};
    int n = 0;
    for (int f = 0; f < 7; f++)
      for (int rot = 0; rot < 4; rot++)
        for (int filter = 0; filter < 2; filter++, n++) {
          const int* size = sizes[n % 4];
          PixelCase c =
              make_case(std::string(kFormatNames[f]) + "_r" + std::to_string(rot) + "_f" + std::to_string(filter),
                        tare_pixel_format(f), size[0], size[1], n % 3 == 0 ? 0 : 5 + n % 7, n % 2 == 1);
          tare_image_options& o = c.options;
          o.rotation = tare_rotation(rot);
          o.resize = tare_resize_filter(filter);
          const int rw = rot % 2 ? c.height : c.width, rh = rot % 2 ? c.width : c.height;
          switch (n % 4) {  // crop: central fractions, none, a box
            case 0: o.crop_fraction = 0.875; break;
            case 1: o.crop_fraction = 1.0; break;
            case 2: o.crop_fraction = 0.5; break;
            default: o.crop_x = 3, o.crop_y = 2, o.crop_width = rw - 5, o.crop_height = rh - 4; break;
          }
          c.out_width = outs[(n / 4) % 4][0];
          c.out_height = outs[(n / 4) % 4][1];
          o.channels = n % 5 == 0 ? TARE_CHANNELS_BGR : TARE_CHANNELS_RGB;
          if (n % 3 == 0) {  // ImageNet's per-channel mean and std (in 0..255)
            const double mean[3] = {123.675, 116.28, 103.53}, std[3] = {58.395, 57.12, 57.375};
            std::copy(mean, mean + 3, o.mean);
            std::copy(std, std + 3, o.std);
          } else if (n % 3 == 1) {  // [0, 1]
            for (int k = 0; k < 3; k++) o.mean[k] = 0, o.std[k] = 255;
          }
          // A MobileNet-like int8 input (scale 1/127.5 with ties on the k/127.5 - 1 grid) or uint8 [0, 1].
          if (n % 2) c.qtype = TARE_DTYPE_INT8, c.scale = 0.0078125f, c.zero_point = -1;
          else c.qtype = TARE_DTYPE_UINT8, c.scale = 1.0f / 255.0f, c.zero_point = 0;
          cases.push_back(std::move(c));
        }
    // A VGA camera frame (NV21, chroma through its own pointer) to the CLI's 224 x 224, turned as a phone would.
    PixelCase camera = make_case("camera_nv21", TARE_PIXEL_NV21, 640, 480, 64, true);
    camera.options.rotation = TARE_ROTATE_90;
    camera.out_width = camera.out_height = 224;
    cases.push_back(std::move(camera));
    // Odd sizes of NV12 with the chroma plane right after the Y plane.
    PixelCase odd = make_case("odd_nv12", TARE_PIXEL_NV12, 37, 23, 0, false);
    odd.options.crop_fraction = 1.0;
    odd.out_width = 37, odd.out_height = 23;  // no resize: the conversion itself
    cases.push_back(std::move(odd));
    const int exact = compare_pixels_with_pillow(cases);
    std::printf("pixels: %d of %zu cases bit-exact with Pillow (pixels, float32 and int8/uint8 outputs)\n", exact,
                cases.size());
    CHECK(exact == int(cases.size()));
  }

  TEST_CASE("pixels: YUV is BT.601 full range, within 1 of Pillow's YCbCr conversion") {
    if (!have_pillow()) return;
    const std::string cmd = tare::test::without_preload(quote(python())) + " " + quote(script_path()) + " yuvcheck";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    int count = 0, r = -1, g = -1, b = -1;
    const int fields = std::fscanf(p, "%d %d %d %d", &count, &r, &g, &b);
    ::pclose(p);
    REQUIRE(fields == 4);
    std::printf("pixels: BT.601 full-range YUV vs Pillow's YCbCr -> RGB over %d values: max difference %d %d %d\n",
                count, r, g, b);
    CHECK(count > 600000);
    CHECK(std::max({r, g, b}) <= 1);
    // Hand-computed: gray stays gray; pure chroma offsets.
    tare_pixels px;
    tare_pixels_init(&px);
    const uint8_t nv12[4] = {100, 100, 255, 128};  // a 2 x 1 frame: Y 100, 100; U 255, V 128
    px.format = TARE_PIXEL_NV12, px.width = 2, px.height = 1, px.data = nv12;
    tare_image_options o;
    tare_image_options_init(&o);
    o.crop_fraction = 1.0;
    const std::vector<uint8_t> rgb = preprocess_bytes(px, o, TensorSpec{2, 1, TARE_DTYPE_UINT8});
    // B = 100 + 1.772 * 127 = 325.0 -> 255; G = 100 - 0.344136 * 127 = 56.29 -> 56; R = 100.
    CHECK(rgb == std::vector<uint8_t>{100, 56, 255, 100, 56, 255});
  }

  TEST_CASE("pixels: the central crop box is tf.image.central_crop's") {
    // 500 x 375 at 0.875: offsets int(62.5 / 2) = 31 and int(46.875 / 2) = 23, box 438 x 329.  The tensor is the
    // box's size, so nothing is resampled and the output is the box itself.
    PixelCase c = make_case("crop", TARE_PIXEL_RGB8, 500, 375, 0, false);
    const std::vector<uint8_t> out = preprocess_bytes(pixels_of(c), c.options, TensorSpec{438, 329, TARE_DTYPE_UINT8});
    size_t differ = 0;
    for (int y = 0; y < 329; y++)
      differ += std::memcmp(out.data() + size_t(y) * 438 * 3, c.buffer.data() + (size_t(y + 23) * 500 + 31) * 3,
                            438 * 3) != 0;
    CHECK(differ == 0);
    // 16 x 8: x offset int(2 / 2) = 1, y offset int(1 / 2) = 0: the 14 x 8 box at (1, 0).
    PixelCase small = make_case("crop_small", TARE_PIXEL_RGB8, 16, 8, 0, false);
    const std::vector<uint8_t> s = preprocess_bytes(pixels_of(small), small.options,
                                                    TensorSpec{14, 8, TARE_DTYPE_UINT8});
    for (int y = 0; y < 8; y++)
      CHECK(std::memcmp(s.data() + y * 14 * 3, small.buffer.data() + (y * 16 + 1) * 3, 42) == 0);
  }

  TEST_CASE("pixels: bilinear and nearest resize, hand-computed") {
    tare_pixels px;
    tare_pixels_init(&px);
    const uint8_t two[6] = {0, 1, 255, 255, 2, 0};
    px.format = TARE_PIXEL_RGB8, px.width = 2, px.height = 1, px.data = two;
    tare_image_options o;
    tare_image_options_init(&o);
    o.crop_fraction = 1.0;
    // 2 -> 1: support 2, equal weights -> the mean, rounded half up: 127.5 -> 128, 1.5 -> 2.
    CHECK(preprocess_bytes(px, o, TensorSpec{1, 1, TARE_DTYPE_UINT8}) == std::vector<uint8_t>{128, 2, 128});
    // 2 -> 4: weights (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1) -> 0, 64 (63.75), 191 (191.25), 255.
    const uint8_t ramp[6] = {0, 0, 0, 255, 255, 255};
    px.data = ramp;
    const std::vector<uint8_t> up = preprocess_bytes(px, o, TensorSpec{4, 1, TARE_DTYPE_UINT8});
    CHECK(up[0] == 0);
    CHECK(up[3] == 64);
    CHECK(up[6] == 191);
    CHECK(up[9] == 255);
    // Nearest 2 -> 4: source floor((i + 0.5) / 2) = 0, 0, 1, 1; 2 -> 1: floor(0.5 * 2) = 1.
    o.resize = TARE_RESIZE_NEAREST;
    const std::vector<uint8_t> nn = preprocess_bytes(px, o, TensorSpec{4, 1, TARE_DTYPE_UINT8});
    CHECK(nn == std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255});
    CHECK(preprocess_bytes(px, o, TensorSpec{1, 1, TARE_DTYPE_UINT8}) == std::vector<uint8_t>{255, 255, 255});
    // Normalization per tensor channel, then int8 quantization.
    o.resize = TARE_RESIZE_BILINEAR;
    o.mean[0] = 0, o.std[0] = 255, o.mean[1] = 128, o.std[1] = 1;
    const std::vector<uint8_t> f = preprocess_bytes(px, o, TensorSpec{2, 1, TARE_DTYPE_FLOAT32});
    float v[6];
    std::memcpy(v, f.data(), sizeof v);
    CHECK(v[0] == 0.0f);     // 0 / 255
    CHECK(v[1] == -128.0f);  // 0 - 128
    CHECK(v[2] == -1.0f);    // (0 - 127.5) / 127.5
    CHECK(v[3] == 1.0f);     // 255 / 255
    CHECK(v[4] == 127.0f);
    CHECK(v[5] == 1.0f);
    // int8 with scale 0.5, zero point 3: round(v / 0.5) + 3 clamped: 3, -128 (clamped), 1, 5, 127 (clamped), 5.
    const std::vector<uint8_t> q = preprocess_bytes(px, o, TensorSpec{2, 1, TARE_DTYPE_INT8, 1, 0.5f, 3});
    const int8_t expect[6] = {3, -128, 1, 5, 127, 5};
    CHECK(std::memcmp(q.data(), expect, 6) == 0);
  }
}

#!/usr/bin/env bash
# The main job: install the dependencies, build Tare, fetch a real float model and a real photo that any fresh
# Debian machine can get, and run them through Vulkan compute (lavapipe when there is no GPU).
#  - model: MediaPipe's BlazeFace (face_detection_short_range.tflite) from npm's @mediapipe/face_detection
#  - photo: scikit-image's astronaut.png (NASA, public domain) from Debian's python3-skimage package, unpacked only
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"

work=build/demo
mkdir -p "$work"
if [ ! -f "$work/face_detection_short_range.tflite" ]; then
  (cd "$work" && npm pack --silent @mediapipe/face_detection@0.4.1657300184 >/dev/null &&
   tar xzf mediapipe-face_detection-*.tgz package/face_detection_short_range.tflite &&
   mv package/face_detection_short_range.tflite . && rm -rf package mediapipe-face_detection-*.tgz)
fi
if [ ! -f "$work/astronaut.png" ]; then
  (cd "$work" && apt-get download python3-skimage >/dev/null 2>&1 &&
   dpkg-deb --fsys-tarfile python3-skimage_*.deb |
     tar x --strip-components=7 ./usr/lib/python3/dist-packages/skimage/data/astronaut.png &&
   rm -f python3-skimage_*.deb)
fi

./build/samples/cli/tare devices
echo
echo "== BlazeFace on astronaut.png (Vulkan compute)"
./build/samples/cli/tare run "$work/face_detection_short_range.tflite" --input "$work/astronaut.png" --crop 1.0 --decode blazeface \
  --output "$work/face.bin"

data=${TARE_DATA:-../shared/data}
if [ -f "$data/models/mobilenet_v2_1.0_224_float.tflite" ]; then
  echo
  echo "== MobileNet-v2 on an ImageNet image"
  ./build/samples/cli/tare run "$data/models/mobilenet_v2_1.0_224_float.tflite" \
    --input "$data/images/imagenet_sample_1000/n01440764_tench.JPEG" --top 5 --labels "$data/models/labels.txt"
fi

# Sourced: the environment that runs a target build's binaries on the Vulkan driver of a scripts/sysroot.sh folder
# (lavapipe for that architecture, its validation layer): target_env.sh TRIPLET_ARCH SYSROOT_ROOT.
# ARCH i386 runs natively; arm64 and armhf run under qemu-user (binfmt_misc or QEMU below), whose -L is the
# sysroot, so its ld.so, libc and libstdc++ are the target's.
_arch=$1
_root=$2
case "$_arch" in
  i386) _triplet=i386-linux-gnu _icd=i686 ;;
  arm64) _triplet=aarch64-linux-gnu _icd=aarch64 ;;
  armhf) _triplet=arm-linux-gnueabihf _icd=armv8l ;;  # Debian builds armhf on arm64 machines
  *) echo "target_env.sh: unknown architecture $_arch" >&2; return 1 ;;
esac
# Libraries of another ELF class or machine in these folders are skipped by the host's loader, so host tools
# (bash, node, python) run unaffected.
export LD_LIBRARY_PATH="$_root/usr/lib/$_triplet:$_root/lib/$_triplet${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export VK_ICD_FILENAMES="$_root/usr/share/vulkan/icd.d/lvp_icd.$_icd.json"
# The manifest file itself, not its folder: the loader lists folders with readdir(), which under qemu-user for a
# 32-bit guest on a 64-bit host fails with EOVERFLOW on ext4 (64-bit directory hash offsets), so armhf found no layer.
export VK_LAYER_PATH="$_root/usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json"
export QEMU_LD_PREFIX="$_root"
unset _arch _root _triplet _icd

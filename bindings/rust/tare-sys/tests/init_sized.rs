//! The init functions against the library: `tare_X_init_sized(p, size)` writes no byte past `size` (the struct of an
//! older, smaller caller stays intact), the defaults of the fields that fit, and `struct_size = size`; the macro
//! equivalents `tare_X_init(p)` pass this crate's size.
use std::mem::{offset_of, size_of};

use tare_sys::*;

const CANARY: u8 = 0xA5;

/// Bytes of a canary-filled buffer with room for `T` and 64 more, 8-aligned, after `init` ran on it.
fn after_init<T>(init: impl FnOnce(*mut T)) -> Vec<u8> {
  let mut words = vec![u64::from_ne_bytes([CANARY; 8]); (size_of::<T>() + 64).div_ceil(8)];
  init(words.as_mut_ptr() as *mut T);
  words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

fn struct_size(bytes: &[u8]) -> usize {
  usize::from_ne_bytes(bytes[..size_of::<usize>()].try_into().unwrap())
}

fn intact(bytes: &[u8], from: usize) -> bool {
  bytes[from..].iter().all(|&b| b == CANARY)
}

#[test]
fn init_writes_only_the_size_given() {
  // A quantize-options struct cut before `rounding`, as a caller compiled against an older header would have it.
  let cut = offset_of!(tare_quantize_options, rounding);
  let b = after_init(|p| unsafe { tare_quantize_options_init_sized(p, cut) });
  assert_eq!(struct_size(&b), cut);
  assert!(intact(&b, cut), "bytes written past the size given");
  let o = |f: usize| i32::from_ne_bytes(b[f..f + 4].try_into().unwrap());
  assert_eq!(o(offset_of!(tare_quantize_options, per_channel)), 0);
  assert_eq!(o(offset_of!(tare_quantize_options, drop_dead_channels)), 1);

  // A size larger than the library's struct: the library's struct and no more.
  let b = after_init(|p: *mut tare_quantize_options| unsafe { tare_quantize_options_init_sized(p, 4096) });
  assert_eq!(struct_size(&b), size_of::<tare_quantize_options>());
  assert!(intact(&b, size_of::<tare_quantize_options>()));

  // Too small for struct_size, or NULL: nothing written, no crash.
  let b = after_init(|p: *mut tare_bft_report| unsafe { tare_bft_report_init_sized(p, size_of::<usize>() - 1) });
  assert!(intact(&b, 0));
  unsafe { tare_bft_report_init_sized(std::ptr::null_mut(), 64) };
}

macro_rules! check_macros {
  ($($init:ident: $t:ty),* $(,)?) => {$(
    let b = after_init(|p: *mut $t| unsafe { $init(p) });
    assert_eq!(struct_size(&b), size_of::<$t>(), stringify!($init));
    assert!(intact(&b, size_of::<$t>()), concat!(stringify!($init), " wrote past the struct"));
  )*};
}

#[test]
fn macro_equivalents_pass_the_rust_size() {
  check_macros!(
    tare_device_info_init: tare_device_info,
    tare_context_options_init: tare_context_options,
    tare_tensor_info_init: tare_tensor_info,
    tare_op_info_init: tare_op_info,
    tare_op_support_info_init: tare_op_support_info,
    tare_session_options_init: tare_session_options,
    tare_memory_report_init: tare_memory_report,
    tare_run_timing_init: tare_run_timing,
    tare_pipeline_report_init: tare_pipeline_report,
    tare_quantize_options_init: tare_quantize_options,
    tare_quantize_report_init: tare_quantize_report,
    tare_ibc_options_init: tare_ibc_options,
    tare_ibc_report_init: tare_ibc_report,
    tare_analyze_options_init: tare_analyze_options,
    tare_bft_options_init: tare_bft_options,
    tare_bft_report_init: tare_bft_report,
    tare_equalize_options_init: tare_equalize_options,
    tare_equalize_report_init: tare_equalize_report,
    tare_pixels_init: tare_pixels,
    tare_image_options_init: tare_image_options,
  );
  let mut o: tare_context_options = unsafe { std::mem::zeroed() };
  unsafe { tare_context_options_init(&mut o) };
  assert_eq!(o.device_index, -1);
}

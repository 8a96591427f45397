//! The safe API against the real library: devices, contexts, errors, model loading and inference compared with
//! TensorFlow Lite's stored outputs.
mod common;

use common::*;
use tare::{Context, ContextOptions, DType, Model, Precision, SessionOptions, Status};

#[test]
fn version_and_abi() {
  let want =
    format!("{}.{}.{}", tare::sys::TARE_VERSION_MAJOR, tare::sys::TARE_VERSION_MINOR, tare::sys::TARE_VERSION_PATCH);
  assert_eq!(tare::version(), want);
  assert_eq!(tare::abi_version(), tare::sys::TARE_ABI_VERSION);
  assert_eq!(Status::InvalidModel.name(), "TARE_ERROR_INVALID_MODEL");
  assert_eq!(Status::from_code(0), None);
  assert_eq!(Status::from_code(7), Some(Status::Io));
  assert_eq!(Status::from_code(1234), Some(Status::Other(1234)));
  assert_eq!(Status::Other(1234).code(), 1234);
}

#[test]
fn devices_are_listed() {
  let devices = tare::devices().expect("no Vulkan");
  assert!(!devices.is_empty());
  assert_eq!(devices.len() as u32, tare::device_count().unwrap());
  for (i, d) in devices.iter().enumerate() {
    assert!(!d.name.is_empty());
    note(&format!(
      "device {i}: {} ({:?}, Vulkan {}, subgroup {}, fp16 {}, int8 storage {}, dot {}, {} MiB)",
      d.name,
      d.device_type,
      d.api_version_string(),
      d.subgroup_size,
      d.fp16_arithmetic,
      d.int8_storage,
      d.integer_dot_product,
      d.device_local_bytes >> 20
    ));
  }
  let e = tare::device_info(devices.len() as u32).unwrap_err();
  assert_eq!(e.status(), Status::InvalidArgument);
  assert!(!e.message().is_empty());
  // The context's device is one of them.
  let d = ctx().device_info().unwrap();
  assert!(devices.iter().any(|x| x.name == d.name && x.device_id == d.device_id));
}

#[test]
fn context_errors_carry_status_and_message() {
  let mut o = ContextOptions::default();
  o.device_index = Some(1000);
  let e = Context::with_options(&o).unwrap_err();
  assert_eq!(e.status(), Status::InvalidArgument);
  assert_eq!(e.code(), tare::sys::TARE_ERROR_INVALID_ARGUMENT);
  assert!(e.message().contains("1000"), "message: {}", e.message());
  assert!(e.to_string().starts_with("TARE_ERROR_INVALID_ARGUMENT: "), "{e}");
  let mut o = ContextOptions::default();
  o.device_name = Some("no\0such".into());
  assert_eq!(Context::with_options(&o).unwrap_err().status(), Status::InvalidArgument);
  // A second context with a device picked by name, then dropped.
  let name = ctx().device_info().unwrap().name;
  let mut o = ContextOptions::default();
  o.device_name = Some(name[..name.len().min(4)].to_string());
  let c = Context::with_options(&o).unwrap();
  assert!(c.device_info().unwrap().name.contains(&name[..name.len().min(4)]));
}

#[test]
fn bad_models_are_errors() {
  let junk: Vec<u8> = (0..256u32).map(|i| (i * 37 + 11) as u8).collect();
  let e = Model::load_bytes(ctx(), &junk).unwrap_err();
  assert_eq!(e.status(), Status::InvalidModel);
  assert!(!e.message().is_empty());
  assert_eq!(Model::load_bytes(ctx(), &[]).unwrap_err().status(), Status::InvalidModel);
  let e = Model::load_file(ctx(), "/nonexistent/model.tflite").unwrap_err();
  assert_eq!(e.status(), Status::Io);
  assert!(e.message().contains("/nonexistent/model.tflite"), "message: {}", e.message());
  let e = ctx().load_model("bad\0path").unwrap_err();
  assert_eq!(e.status(), Status::InvalidArgument);
  // A model with MediaPipe's custom Convolution2DTransposeBias loads (as TRANSPOSE_CONV); a truncated copy of it is
  // an INVALID_MODEL error.
  if let Some(dir) = data("bad_models_are_errors", "models/selfie_segmentation.tflite") {
    let bytes = std::fs::read(dir.join("models/selfie_segmentation.tflite")).unwrap();
    Model::load_bytes(ctx(), &bytes).unwrap();
    let e = Model::load_bytes(ctx(), &bytes[..bytes.len() / 2]).unwrap_err();
    assert_eq!(e.status(), Status::InvalidModel);
  }
  no_validation_messages();
}

#[test]
fn mobilenet_matches_tflite() {
  let Some(dir) = data("mobilenet_matches_tflite", V1) else { return };
  let refs = ref_data(&dir);
  let model = Model::load_bytes(ctx(), &std::fs::read(dir.join(V1)).unwrap()).unwrap();
  let inputs = model.inputs().unwrap();
  assert_eq!(inputs.len(), 1);
  assert_eq!(inputs[0].shape, vec![1, 224, 224, 3]);
  assert_eq!(inputs[0].dtype, DType::Float32);
  assert_eq!(inputs[0].byte_size, 224 * 224 * 3 * 4);
  assert!(!inputs[0].quantized);
  assert_eq!(model.outputs().unwrap()[0].shape, vec![1, 1001]);
  assert_eq!(model.input_info(5).unwrap_err().status(), Status::InvalidArgument);
  // The operators (import folds nothing here): 15 CONV_2D, 13 DEPTHWISE_CONV_2D per the data README.
  let ops = model.ops().unwrap();
  assert_eq!(ops.iter().filter(|o| o.op_type == "CONV_2D").count(), 15);
  assert_eq!(ops.iter().filter(|o| o.op_type == "DEPTHWISE_CONV_2D").count(), 13);
  assert!(ops[0].macs > 0 && ops[0].inputs.len() == ops[0].num_inputs.min(8) as usize);
  let t = model.tensor_info(ops[0].inputs[1] as u32).unwrap(); // first conv's weights: [8, 3, 3, 3]
  assert_eq!(t.shape, vec![8, 3, 3, 3]);
  assert!(model.tensor_count().unwrap() > ops.len() as u32);

  let mut session = model.session(&SessionOptions::default()).unwrap();
  drop(model); // the session keeps the model alive
  assert_eq!(session.input_info(0).unwrap().byte_size, 224 * 224 * 3 * 4);
  let e = session.set_input(0, &refs.images[0][1..]).unwrap_err();
  assert_eq!(e.status(), Status::InvalidArgument);
  assert!(!e.message().is_empty());
  let mut small = vec![0f32; 1000];
  assert_eq!(session.get_output(0, &mut small).unwrap_err().status(), Status::InvalidArgument);
  for (img, want) in refs.images.iter().zip(&refs.outputs) {
    let out: Vec<f32> = session.run_single(img).unwrap();
    let err = rel_err(&out, want);
    note(&format!(
      "mobilenet_v1_0.25 via Rust: top-1 {} (TFLite {}), max |err| / max |ref| {err:.3e}",
      argmax(&out),
      argmax(want)
    ));
    assert_eq!(argmax(&out), argmax(want));
    assert!(err <= 1e-4, "relative error {err}");
  }
  // The same through the byte-level calls.
  session.set_input_bytes(0, &std::fs::read(dir.join(REF).join("in_img0.bin")).unwrap()).unwrap();
  session.run().unwrap();
  let mut bytes = vec![0u8; 1001 * 4];
  session.get_output_bytes(0, &mut bytes).unwrap();
  assert_eq!(bytes, session.output::<u8>(0).unwrap());
  let mem = session.memory().unwrap();
  assert!(mem.activation_bytes > 0 && mem.activation_bytes < mem.unplanned_bytes && mem.constant_bytes > 0);
  // The last run's phases fit in it; without profiling there are no GPU figures.
  let t = session.run_timing().unwrap();
  assert!(t.run_ms > 0.0 && t.fence_wait_ms <= t.run_ms && t.submit_ms <= t.run_ms, "{t:?}");
  assert_eq!((t.gpu_span_ms, t.gpu_ops_ms), (0.0, 0.0));
  // Some pipelines, each of a shader; the shaders are fewer or as many.
  let p = session.pipelines().unwrap();
  assert!(p.pipelines > 0 && p.shaders > 0 && p.shaders <= p.pipelines && p.compiled <= p.pipelines, "{p:?}");
  no_validation_messages();
}

#[test]
fn profiling_and_batch() {
  let Some(dir) = data("profiling_and_batch", V1) else { return };
  let refs = ref_data(&dir);
  let model = ctx().load_model(dir.join(V1)).unwrap();
  let mut o = SessionOptions::default();
  o.batch = 2;
  o.profiling = true;
  let mut s = model.session(&o).unwrap();
  assert_eq!(s.input_info(0).unwrap().shape, vec![2, 224, 224, 3]);
  let both: Vec<f32> = refs.images.concat();
  let out: Vec<f32> = s.run_single(&both).unwrap();
  assert_eq!(out.len(), 2 * 1001);
  for (i, want) in refs.outputs.iter().enumerate() {
    assert!(rel_err(&out[i * 1001..(i + 1) * 1001], want) <= 1e-4);
  }
  if ctx().device_info().unwrap().timestamps {
    let p = s.profile().unwrap();
    assert!(p.len() >= 28, "{} profile entries", p.len());
    assert!(p.iter().any(|e| e.name.starts_with("CONV_2D")));
    let total: f64 = p.iter().map(|e| e.milliseconds).sum();
    note(&format!("profile: {} ops, {total:.2} ms GPU time at batch 2", p.len()));
  } else {
    note("profile: the device has no timestamps; not checked");
  }
  // fp16 either works or says why.
  let mut o = SessionOptions::default();
  o.precision = Precision::Fp16;
  match model.session(&o) {
    Ok(mut s) => {
      let out: Vec<f32> = s.run_single(&refs.images[0]).unwrap();
      assert_eq!(argmax(&out), argmax(&refs.outputs[0]));
      assert!(rel_err(&out, &refs.outputs[0]) <= 2e-2);
    }
    Err(e) => note(&format!("fp16 session not available: {e}")),
  }
  no_validation_messages();
}

#[test]
fn models_and_sessions_across_threads() {
  let Some(dir) = data("models_and_sessions_across_threads", V1) else { return };
  let refs = ref_data(&dir);
  let model = std::sync::Arc::new(ctx().load_model(dir.join(V1)).unwrap());
  // Model is Sync: both threads share it; each has its own session (Send, not Sync), run concurrently.
  let handles: Vec<_> = (0..2)
    .map(|i| {
      let model = model.clone();
      let img = refs.images[i].clone();
      std::thread::spawn(move || {
        let mut s = model.session(&SessionOptions::default()).unwrap();
        let out: Vec<f32> = s.run_single(&img).unwrap();
        (s, out)
      })
    })
    .collect();
  for (i, h) in handles.into_iter().enumerate() {
    let (mut s, out) = h.join().unwrap();
    assert!(rel_err(&out, &refs.outputs[i]) <= 1e-4);
    // The session moved back to this thread still works.
    let again: Vec<f32> = s.run_single(&refs.images[i]).unwrap();
    assert_eq!(again, out);
  }
  no_validation_messages();
}

#[test]
fn handles_drop_in_any_order_and_pipeline_cache() {
  let Some(dir) = data("handles_drop_in_any_order_and_pipeline_cache", V1) else { return };
  let refs = ref_data(&dir);
  let ctx = Context::new().unwrap();
  let model = ctx.load_model(dir.join(V1)).unwrap();
  let mut s = model.session(&SessionOptions::default()).unwrap();
  let cache = ctx.pipeline_cache().unwrap();
  assert!(!cache.is_empty());
  drop(ctx);
  drop(model);
  let out: Vec<f32> = s.run_single(&refs.images[0]).unwrap();
  assert!(rel_err(&out, &refs.outputs[0]) <= 1e-4);
  drop(s);
  // A context started from the cache runs the same.
  let mut o = ContextOptions::default();
  o.pipeline_cache = Some(cache);
  let ctx2 = Context::with_options(&o).unwrap();
  let mut s2 = ctx2.load_model(dir.join(V1)).unwrap().session(&SessionOptions::default()).unwrap();
  let out2: Vec<f32> = s2.run_single(&refs.images[0]).unwrap();
  assert!(rel_err(&out2, &refs.outputs[0]) <= 1e-4);
  assert_eq!(ctx2.validation_messages().unwrap(), 0);
}

#[test]
fn device_listing_while_a_context_lives() {
  // tare_device_count/_get_info create a temporary VkInstance without VK_EXT_debug_utils and reload volk's global
  // instance functions from it, so vkDestroyDebugUtilsMessengerEXT becomes NULL; destroying a context that has a
  // messenger then calls NULL (SIGSEGV).  Reproduced in C too.  Run with TARE_VALIDATION=1.
  let c = Context::new().unwrap();
  assert!(!tare::devices().unwrap().is_empty());
  drop(c);
}

#[test]
fn supported_ops_are_listed() {
  let ops = tare::supported_ops().unwrap();
  let conv = ops.iter().find(|o| o.name == "CONV_2D").unwrap();
  assert!(conv.float && conv.int8 && conv.gradient && conv.import && conv.export && !conv.internal);
  assert_eq!(conv.builtin_code, Some(3));
  assert!(!ops.iter().find(|o| o.name == "NEG").unwrap().int8);
  let fq = ops.iter().find(|o| o.name == "FAKE_QUANT").unwrap();
  assert!(fq.internal && fq.builtin_code.is_none() && !fq.export);
  assert_eq!(ops.iter().find(|o| o.name == "PAD").unwrap().alt_builtin, Some((60, "PADV2".to_string())));
  let tconv = ops.iter().find(|o| o.name == "TRANSPOSE_CONV").unwrap();
  assert_eq!(tconv.custom_name.as_deref(), Some("Convolution2DTransposeBias"));
  assert!(conv.custom_name.is_none());
}

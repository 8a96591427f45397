//! Quantization, IBC, BFT, equalization, analysis and the Rust closures behind them, against the real library with
//! tiny settings (2 images, 1 rate, 1 mini-epoch).
mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::*;
use tare::{
  AnalyzeOptions, BftOptions, DType, EqualizeOptions, Error, ErrorPoint, IbcHeads, IbcOptions, Inputs, Model, QuantizeOptions,
  RangeMethod, SessionOptions, Stage, Status, WeightRounding,
};

#[test]
fn defaults_match_the_header() {
  // The values tare.h documents for each *_init function.
  let q = QuantizeOptions::default();
  assert!(!q.per_channel && !q.bias_16bit && q.drop_dead_channels);
  assert_eq!(q.rounding, WeightRounding::NearestAway);
  assert_eq!((q.input_type, q.output_type, q.calibration_batch), (DType::Float32, DType::Float32, 8));
  assert_eq!(q.ranges, RangeMethod::MinMax);
  let i = IbcOptions::default();
  assert!(!i.pre_activation && !i.bias_16bit);
  assert_eq!(i.heads, IbcHeads::Correct);
  assert!(i.guard && i.guard_images == -1);
  assert_eq!(AnalyzeOptions::default().batch, 8);
  let b = BftOptions::default();
  assert_eq!(b.rates, vec![1e-3, 1e-4, 1e-5, 1e-6]);
  assert_eq!((b.mini_epochs_per_rate, b.images_per_mini_epoch, b.batch, b.memory_budget, b.seed), (16, 0, 16, 0, 1));
  assert!(!b.bias_16bit);
  let e = EqualizeOptions::default();
  assert!(!e.replace_relu6);
  assert_eq!(e.max_iterations, 500);
  let s = SessionOptions::default();
  assert_eq!((s.precision, s.batch, s.profiling), (tare::Precision::Fp32, 0, false));
  let c = tare::ContextOptions::default();
  assert_eq!((c.device_index, c.device_name.as_deref(), c.pipeline_cache.as_deref()), (None, None, None));
}

#[test]
fn quantize_correct_fine_tune_export_reload() {
  let Some(dir) = data("quantize_correct_fine_tune_export_reload", V1) else { return };
  let refs = ref_data(&dir);
  let float = ctx().load_model(dir.join(V1)).unwrap();
  let images: Vec<&[f32]> = refs.images.iter().map(|v| v.as_slice()).collect();

  // Quantize from a slice of images, watching the progress.
  let mut calls = Vec::new();
  let (quantized, qrep) =
    tare::quantize_with_progress(&float, Inputs::images(&images), &QuantizeOptions::default(), |stage, done, total| {
      calls.push((stage.to_string(), done, total));
      true
    })
    .unwrap();
  assert!(!calls.is_empty() && calls.iter().all(|c| c.0 == "calibrate" && c.2 == 2));
  assert_eq!(calls.last().unwrap().1, 2);
  // 15 conv + 13 depthwise weight tensors; the data README's 8 dead channels of v1-0.25 need more than 2 images.
  assert_eq!(qrep.quantized_weights, 28);
  assert!(qrep.activations > 28);
  let qin = quantized.input_info(0).unwrap();
  assert_eq!(qin.dtype, DType::Float32); // input_type FLOAT32 by default
  assert!(quantized.ops().unwrap().iter().any(|o| o.op_type == "CONV_2D"));
  assert!((0..quantized.tensor_count().unwrap()).any(|i| {
    let t = quantized.tensor_info(i).unwrap();
    t.quantized && t.dtype == DType::Int8 && t.scale > 0.0
  }));
  note(&format!(
    "quantize: {} weights, {} activations, {} dead channels, {:.0} ms calibration",
    qrep.quantized_weights, qrep.activations, qrep.dead_channels, qrep.calibration_ms
  ));

  // IBC (pre-activation, as the C test does) from a closure, watching the progress.
  let mut served = Vec::new();
  let mut fill = |i: u32, dst: &mut [f32]| -> tare::Result<()> {
    served.push(i);
    dst.copy_from_slice(&refs.images[i as usize]);
    Ok(())
  };
  let mut ibc_o = IbcOptions::default();
  ibc_o.pre_activation = true;
  let mut last = (String::new(), 0, 0);
  let ibc = tare::correct_bias_with_progress(&float, &quantized, Inputs::from_fn(2, &mut fill), &ibc_o, |s, d, t| {
    last = (s.to_string(), d, t);
    true
  })
  .unwrap();
  assert!(served.contains(&0) && served.contains(&1) && served.iter().all(|&i| i < 2));
  assert_eq!(last, ("ibc".to_string(), 28, 28));
  assert_eq!((ibc.report.layers, ibc.report.images), (28, 2));
  assert_eq!(ibc.report.kept, 0); // MobileNet's logits are read through SOFTMAX: not a raw head
  assert_eq!(ibc.report.guard_images, 0); // on by default, but two images are too few to hold any out
  assert!(!ibc.report.kept_basic);
  assert!(ibc.report.wall_ms > 0.0);
  let d = &ibc.diagnostics;
  assert_eq!(d.layer_count().unwrap(), 28);
  let l = d.layer(27).unwrap();
  assert_eq!((l.op.as_str(), l.channels, l.has_after), ("CONV_2D", 1001, true));
  assert_eq!(d.layers().unwrap().iter().filter(|l| l.op == "DEPTHWISE_CONV_2D").count(), 13);
  // Pre-activation correction of the last hidden layer removes its mean error on these images (up to rounding).
  let before = d.summary(26, ErrorPoint::PreActivation, Stage::Before).unwrap();
  let after = d.summary(26, ErrorPoint::PreActivation, Stage::After).unwrap();
  note(&format!("IBC via Rust: layer 26 pre-activation MAS rms {:.4} -> {:.2e}", before.mas, after.mas));
  assert!(after.mas < 0.01 * before.mas);
  let c = d.channel(27, 0, ErrorPoint::PostActivation, Stage::After).unwrap();
  assert!(c.count > 0.0);
  assert_eq!(
    d.channel(27, 1001, ErrorPoint::PostActivation, Stage::After).unwrap_err().status(),
    Status::InvalidArgument
  );
  assert_eq!(d.layer(28).unwrap_err().status(), Status::InvalidArgument);

  // IBC from the array form gives the same biases, bit for bit (tare.h's promise), hence the same export; with no
  // raw head, keeping the heads changes nothing.
  let flat: Vec<f32> = refs.images.concat();
  ibc_o.heads = IbcHeads::Keep;
  let ibc2 = tare::correct_bias(&float, &quantized, Inputs::array(&flat), &ibc_o).unwrap();
  assert_eq!(ibc2.report.kept, 0);
  assert_eq!(ibc2.model.export_to_vec().unwrap(), ibc.model.export_to_vec().unwrap());

  // BFT, tiny: 1 rate, 1 mini-epoch, both images in one batch; the loss closure sees that mini-epoch.
  let mut bo = BftOptions::default();
  bo.rates = vec![1e-4];
  bo.mini_epochs_per_rate = 1;
  bo.batch = 2;
  let mut losses = Vec::new();
  let (tuned, brep) =
    tare::fine_tune_bias_with_loss(&float, &ibc.model, Inputs::images(&images), &bo, |epoch, total, loss| {
      losses.push((epoch, total, loss));
      true
    })
    .unwrap();
  assert_eq!(losses.len(), 1);
  assert_eq!((losses[0].0, losses[0].1), (1, 1));
  assert!(losses[0].2.is_finite() && losses[0].2 >= 0.0);
  assert_eq!((brep.mini_epochs, brep.layers, brep.batch), (1, 28, 2));
  assert!(brep.initial_loss.is_finite() && brep.final_loss.is_finite() && brep.training_bytes > 0);
  note(&format!(
    "BFT via Rust: loss {:.5} -> {:.5}, {} layers, {:.0} ms",
    brep.initial_loss, brep.final_loss, brep.layers, brep.wall_ms
  ));

  // Export to memory and to a file, reload, run.
  let bytes = tuned.export_to_vec().unwrap();
  assert_eq!(&bytes[4..8], b"TFL3");
  let tmp = std::env::temp_dir().join(format!("tare_rust_test_{}", std::process::id()));
  std::fs::create_dir_all(&tmp).unwrap();
  let path = tmp.join("tuned.tflite");
  tuned.export_file(&path).unwrap();
  assert_eq!(std::fs::read(&path).unwrap(), bytes);
  let from_file = ctx().load_model(&path).unwrap();
  let reloaded = Model::load_bytes(ctx(), &bytes).unwrap();
  assert_eq!(reloaded.op_count().unwrap(), from_file.op_count().unwrap());
  let e = tuned.export_file(tmp.join("no/such/dir/x.tflite")).unwrap_err();
  assert_eq!(e.status(), Status::Io);
  std::fs::remove_dir_all(&tmp).unwrap();
  for m in [&tuned, &reloaded] {
    let mut s = m.session(&SessionOptions::default()).unwrap();
    let out: Vec<f32> = s.run_single(&refs.images[0]).unwrap();
    let sum: f32 = out.iter().sum();
    note(&format!(
      "8-bit model: top-1 {} (TFLite float {}), softmax sum {sum:.3}",
      argmax(&out),
      argmax(&refs.outputs[0])
    ));
    assert_eq!(argmax(&out), argmax(&refs.outputs[0])); // img0: float probability 0.96, margin 0.95
    assert!((sum - 1.0).abs() < 0.05);
  }
  no_validation_messages();
}

#[test]
fn analyze_and_write_diagnostics() {
  let Some(dir) = data("analyze_and_write_diagnostics", V1) else { return };
  let refs = ref_data(&dir);
  let float = ctx().load_model(dir.join(V1)).unwrap();
  let flat: Vec<f32> = refs.images.concat();
  let (quantized, _) = tare::quantize(&float, Inputs::array(&flat), &QuantizeOptions::default()).unwrap();
  let mut ibc_o = IbcOptions::default();
  ibc_o.pre_activation = true;
  let corrected = tare::correct_bias(&float, &quantized, Inputs::array(&flat), &ibc_o).unwrap().model;
  let mut stages = Vec::new();
  let d = tare::analyze_with_progress(
    &float,
    &quantized,
    Some(&corrected),
    Inputs::array(&flat),
    &AnalyzeOptions::default(),
    |s, done, total| {
      stages.push((s.to_string(), done, total));
      true
    },
  )
  .unwrap();
  assert!(stages.iter().all(|s| s.0 == "analyze"));
  // done/total count image passes: 2 images for the quantized model, then 2 for the corrected one.
  assert_eq!(stages.last().map(|s| (s.1, s.2)), Some((4, 4)));
  assert_eq!(d.layer_count().unwrap(), 28);
  assert!(d.layers().unwrap().iter().all(|l| l.has_after && l.channels > 0));
  let before = d.summary(26, ErrorPoint::PreActivation, Stage::Before).unwrap();
  let after = d.summary(26, ErrorPoint::PreActivation, Stage::After).unwrap();
  note(&format!(
    "analyze via Rust: layer 26 pre-activation MAS rms {:.4} -> {:.2e}, rQNSR {:.4} -> {:.4}",
    before.mas, after.mas, before.rqnsr, after.rqnsr
  ));
  assert!(after.mas < 0.05 * before.mas);
  assert!(before.mas_abs_max >= before.mas * 0.999 && before.count > 0.0);
  // Without a corrected model there is no "after".
  let mut d0 = tare::analyze(&float, &quantized, None, Inputs::array(&flat), &AnalyzeOptions::default()).unwrap();
  assert!(!d0.layer(0).unwrap().has_after);
  // Another stage measured into them: the corrected model as "bft" measures as it did as "after".
  d0.measure(Stage::Bft, &float, &corrected, Inputs::array(&flat), &AnalyzeOptions::default()).unwrap();
  let bft = d0.summary(26, ErrorPoint::PreActivation, Stage::Bft).unwrap();
  assert_eq!((bft.mas, bft.rqnsr), (after.mas, after.rqnsr));
  assert!(d0.summary(26, ErrorPoint::PreActivation, Stage::Unequalized).is_err());
  d0.note("settings", "method", "ibc").unwrap();
  assert_eq!(d0.note("settings", "a\0b", "x").unwrap_err().status(), Status::InvalidArgument);
  let out = std::env::temp_dir().join(format!("tare_rust_diag_{}", std::process::id()));
  d.write(&out).unwrap();
  for f in ["errors.csv", "summary.csv", "report.html"] {
    assert!(std::fs::metadata(out.join(f)).map(|m| m.len() > 0).unwrap_or(false), "{f} not written");
  }
  std::fs::remove_dir_all(&out).unwrap();
  no_validation_messages();
}

#[test]
fn closures_cancel_fail_and_panic_safely() {
  let Some(dir) = data("closures_cancel_fail_and_panic_safely", V1) else { return };
  let refs = ref_data(&dir);
  let float = ctx().load_model(dir.join(V1)).unwrap();
  let opts = QuantizeOptions::default();
  let images: Vec<&[f32]> = refs.images.iter().map(|v| v.as_slice()).collect();

  // Cancel from the progress closure.
  let e = tare::quantize_with_progress(&float, Inputs::images(&images), &opts, |_, _, _| false).unwrap_err();
  assert_eq!(e.status(), Status::Cancelled);
  assert!(!e.message().is_empty());

  // An input closure's own error comes back as it was.
  let mut fill = |i: u32, dst: &mut [f32]| {
    if i == 1 {
      return Err(Error::new(Status::Io, "camera unplugged"));
    }
    dst.copy_from_slice(&refs.images[0]);
    Ok(())
  };
  let e = tare::quantize(&float, Inputs::from_fn(2, &mut fill), &opts).unwrap_err();
  assert_eq!((e.status(), e.message()), (Status::Io, "camera unplugged"));

  // Panics in any closure are caught at the C boundary and resumed on the Rust side.
  let r = catch_unwind(AssertUnwindSafe(|| {
    let mut fill = |_: u32, _: &mut [f32]| -> tare::Result<()> { panic!("input closure panicked") };
    tare::quantize(&float, Inputs::from_fn(2, &mut fill), &opts)
  }));
  assert_eq!(*r.unwrap_err().downcast::<&str>().unwrap(), "input closure panicked");
  let r = catch_unwind(AssertUnwindSafe(|| {
    tare::quantize_with_progress(&float, Inputs::images(&images), &opts, |_, _, _| panic!("progress panicked"))
  }));
  assert_eq!(*r.unwrap_err().downcast::<&str>().unwrap(), "progress panicked");

  // Wrong sizes are caught before the call.
  let short: Vec<&[f32]> = vec![&refs.images[0][..100]];
  assert_eq!(tare::quantize(&float, Inputs::images(&short), &opts).unwrap_err().status(), Status::InvalidArgument);
  assert_eq!(
    tare::quantize(&float, Inputs::array(&refs.images[0][1..]), &opts).unwrap_err().status(),
    Status::InvalidArgument
  );
  let e = tare::quantize(&float, Inputs::array(&[]), &opts).unwrap_err(); // zero images: the library refuses
  assert_eq!(e.status(), Status::InvalidArgument);
  // The range method reaches the library: a percentile outside (50, 100] is refused, MSE ranges quantize.
  let mut ro = opts.clone();
  ro.ranges = RangeMethod::Percentile(40.0);
  let e = tare::quantize(&float, Inputs::images(&images), &ro).unwrap_err();
  assert_eq!(e.status(), Status::InvalidArgument);
  assert!(e.to_string().contains("percentile must be in (50, 100]"), "{e}");
  ro.ranges = RangeMethod::Mse;
  let (_, rrep) = tare::quantize(&float, Inputs::images(&images), &ro).unwrap();
  assert_eq!(rrep.quantized_weights, 28);

  // The library and the context are fine afterwards: quantize, then a BFT cancelled by its loss closure, and one
  // whose loss closure panics.
  let (q, _) = tare::quantize(&float, Inputs::images(&images), &opts).unwrap();
  let mut bo = BftOptions::default();
  bo.rates = vec![1e-4];
  bo.mini_epochs_per_rate = 2;
  bo.batch = 2;
  let mut seen = 0;
  let e = tare::fine_tune_bias_with_loss(&float, &q, Inputs::images(&images), &bo, |_, _, _| {
    seen += 1;
    false
  })
  .unwrap_err();
  assert_eq!((e.status(), seen), (Status::Cancelled, 1));
  let r = catch_unwind(AssertUnwindSafe(|| {
    tare::fine_tune_bias_with_loss(&float, &q, Inputs::images(&images), &bo, |_, _, _| panic!("loss panicked"))
  }));
  assert_eq!(*r.unwrap_err().downcast::<&str>().unwrap(), "loss panicked");
  bo.rates = vec![];
  assert_eq!(
    tare::fine_tune_bias(&float, &q, Inputs::images(&images), &bo).unwrap_err().status(),
    Status::InvalidArgument
  );
  // Two models of different contexts are refused by the library.
  let other = tare::Context::new().unwrap();
  let float2 = other.load_model(dir.join(V1)).unwrap();
  let e = tare::correct_bias(&float2, &q, Inputs::images(&images), &IbcOptions::default()).unwrap_err();
  assert_eq!(e.status(), Status::InvalidArgument);
  assert!(e.message().contains("context"), "{}", e.message());
  no_validation_messages();
}

#[test]
fn equalize_then_quantize() {
  let Some(dir) = data("equalize_then_quantize", V1) else { return };
  let refs = ref_data(&dir);
  let float = ctx().load_model(dir.join(V1)).unwrap();
  let (eq, rep) = tare::equalize(&float, &EqualizeOptions::default()).unwrap();
  note(&format!(
    "equalize: {} pairs, {} sweeps, {} RELU6 kept by a MINIMUM",
    rep.pairs, rep.iterations, rep.relu6_clipped
  ));
  // MobileNet-v1: every conv/depthwise pair is joined by a RELU6, kept exactly (RELU + MINIMUM) by default.
  assert!(rep.pairs > 0 && rep.iterations > 0 && rep.relu6_clipped > 0 && rep.relu6_replaced == 0);
  let mut relu = EqualizeOptions::default();
  relu.replace_relu6 = true;
  let (_, rep6) = tare::equalize(&float, &relu).unwrap();
  assert_eq!((rep6.pairs, rep6.relu6_replaced, rep6.relu6_clipped), (rep.pairs, rep.relu6_clipped, 0));
  let mut s = eq.session(&SessionOptions::default()).unwrap();
  let out: Vec<f32> = s.run_single(&refs.images[0]).unwrap();
  assert!(rel_err(&out, &refs.outputs[0]) <= 1e-4);
  let (q, _) = tare::quantize(&eq, Inputs::array(&refs.images.concat()), &QuantizeOptions::default()).unwrap();
  let mut s = q.session(&SessionOptions::default()).unwrap();
  let out: Vec<f32> = s.run_single(&refs.images[0]).unwrap();
  note(&format!("equalized + quantized: top-1 {} (TFLite float {})", argmax(&out), argmax(&refs.outputs[0])));
  assert_eq!(out.len(), 1001);
  no_validation_messages();
}

#[test]
fn bft_loss_is_the_cross_entropy_of_logits() {
  // tare.h: the loss is the cross-entropy between the teacher's softmax and the student's log-softmax over the
  // logits, before a final SOFTMAX.  TFLite's outputs for the two images have entropies 0.26 and 1.59 (mean 0.93),
  // and the 8-bit model's own softmax outputs give a cross-entropy of about 2.1 against them; a loss near
  // ln(1001) = 6.91 means the student's "logits" are probabilities.
  let Some(dir) = data("bft_loss_is_the_cross_entropy_of_logits", V1) else { return };
  let refs = ref_data(&dir);
  let float = ctx().load_model(dir.join(V1)).unwrap();
  let flat: Vec<f32> = refs.images.concat();
  let (q, _) = tare::quantize(&float, Inputs::array(&flat), &QuantizeOptions::default()).unwrap();
  let mut bo = BftOptions::default();
  bo.rates = vec![1e-4];
  bo.mini_epochs_per_rate = 1;
  bo.batch = 2;
  let (_, r) = tare::fine_tune_bias(&float, &q, Inputs::array(&flat), &bo).unwrap();
  let entropy: f64 = refs
    .outputs
    .iter()
    .map(|p| p.iter().filter(|&&x| x > 0.0).map(|&x| -(x as f64) * (x as f64).ln()).sum::<f64>())
    .sum::<f64>()
    / 2.0;
  note(&format!("BFT initial loss {:.3}; teacher entropy {entropy:.3}", r.initial_loss));
  assert!(r.initial_loss >= entropy * 0.99 && r.initial_loss < 3.5, "initial loss {}", r.initial_loss);
}

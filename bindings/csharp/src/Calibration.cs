using System;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Tare
{
  /// <summary>Writes calibration input `index` (one image, batch 1, float32) into destination.</summary>
  public delegate void InputProvider(int index, Span<float> destination);

  /// <summary>Progress of a long call (stage "calibrate", "ibc", "analyze", ...); return false to cancel.</summary>
  public delegate bool ProgressHandler(string stage, int done, int total);

  /// <summary>Loss of each mini-epoch of bias fine-tuning; return false to cancel.</summary>
  public delegate bool LossHandler(int miniEpoch, int total, double loss);

  /// <summary>tare_quantize_options; the defaults come from tare_quantize_options_init.</summary>
  public sealed unsafe class QuantizeOptions
  {
    public QuantizeOptions()
    {
      Native.tare_quantize_options o;
      Native.tare_quantize_options_init(&o);
      PerChannel = o.per_channel != 0;
      Bias16Bit = o.bias_16bit != 0;
      DropDeadChannels = o.drop_dead_channels != 0;
      Rounding = o.rounding;
      InputType = o.input_type;
      OutputType = o.output_type;
      CalibrationBatch = (int)o.calibration_batch;
      Ranges = o.ranges;
      Percentile = o.percentile;
    }

    /// <summary>False (default): per-tensor int8 weights, the paper's scheme; true: per channel.</summary>
    public bool PerChannel { get; set; }
    /// <summary>Clamp int32 biases to 16 bits, as the paper did.</summary>
    public bool Bias16Bit { get; set; }
    /// <summary>Constant channels get zero weights and their constant as bias (default true).</summary>
    public bool DropDeadChannels { get; set; }
    public WeightRounding Rounding { get; set; }
    /// <summary>Float32 (default), Int8 or UInt8.</summary>
    public DType InputType { get; set; }
    /// <summary>Float32 (default), Int8 or UInt8.</summary>
    public DType OutputType { get; set; }
    /// <summary>Inputs per GPU run while calibrating.</summary>
    public int CalibrationBatch { get; set; }
    /// <summary>Activation ranges (default MinMax); other methods run the inputs twice.</summary>
    public RangeMethod Ranges { get; set; }
    /// <summary>RangeMethod.Percentile: in (50, 100] (default 99.99).</summary>
    public double Percentile { get; set; }
    /// <summary>Stage "calibrate"; may be null.</summary>
    public ProgressHandler Progress { get; set; }

    internal Native.tare_quantize_options ToNative(CallState state)
    {
      Native.tare_quantize_options o;
      Native.tare_quantize_options_init(&o);
      o.per_channel = PerChannel ? 1 : 0;
      o.bias_16bit = Bias16Bit ? 1 : 0;
      o.drop_dead_channels = DropDeadChannels ? 1 : 0;
      o.rounding = Rounding;
      o.input_type = InputType;
      o.output_type = OutputType;
      o.calibration_batch = (uint)CalibrationBatch;
      o.ranges = Ranges;
      o.percentile = Percentile;
      if (Progress != null)
      {
        o.progress = Callbacks.ProgressPtr;
        o.user_data = state.UserData;
      }
      return o;
    }
  }

  /// <summary>tare_quantize_report.</summary>
  public sealed class QuantizeReport
  {
    public int DeadChannels { get; internal set; }
    public int QuantizedWeights { get; internal set; }
    public int Activations { get; internal set; }
    public double CalibrationMs { get; internal set; }
  }

  /// <summary>tare_ibc_options (Iterative Bias Correction); the defaults come from tare_ibc_options_init.</summary>
  public sealed unsafe class IbcOptions
  {
    public IbcOptions()
    {
      Native.tare_ibc_options o;
      Native.tare_ibc_options_init(&o);
      PreActivation = o.pre_activation != 0;
      Bias16Bit = o.bias_16bit != 0;
      Batch = o.batch;
      Heads = o.heads;
      Guard = o.guard != 0;
      GuardImages = o.guard_images;
    }

    /// <summary>False (default): means after the fused activation; true: before it.</summary>
    public bool PreActivation { get; set; }
    /// <summary>Clamp corrected biases to the int16 range.</summary>
    public bool Bias16Bit { get; set; }
    /// <summary>Images per GPU run; 0: all at once, or as many as the device can bind (fewer: sums added up over batches).</summary>
    public uint Batch { get; set; }
    /// <summary>Which layers are corrected (default IbcHeads.Correct; Keep: not the raw output heads).</summary>
    public IbcHeads Heads { get; set; }
    /// <summary>The validation guard (default on): IBC's biases are kept only if they bring the outputs closer to
    /// the float model's on the last GuardImages images, else the basic biases are returned.</summary>
    public bool Guard { get; set; }
    /// <summary>The guard's held-out images, the last of the count: -1 (default): count / 8, at least 4, none below
    /// 8 images.</summary>
    public int GuardImages { get; set; }
    /// <summary>Stage "ibc", done/total = layers; may be null.</summary>
    public ProgressHandler Progress { get; set; }

    internal Native.tare_ibc_options ToNative(CallState state)
    {
      Native.tare_ibc_options o;
      Native.tare_ibc_options_init(&o);
      o.pre_activation = PreActivation ? 1 : 0;
      o.bias_16bit = Bias16Bit ? 1 : 0;
      o.batch = Batch;
      o.heads = Heads;
      o.guard = Guard ? 1 : 0;
      o.guard_images = GuardImages;
      if (Progress != null)
      {
        o.progress = Callbacks.ProgressPtr;
        o.user_data = state.UserData;
      }
      return o;
    }
  }

  /// <summary>tare_ibc_report.</summary>
  public sealed class IbcReport
  {
    public int Layers { get; internal set; }
    public int Images { get; internal set; }
    public int Clamped { get; internal set; }
    public double WallMs { get; internal set; }
    /// <summary>Raw output heads left alone (IbcHeads.Keep).</summary>
    public int Kept { get; internal set; }
    /// <summary>Validation images of the guard (0: it did not run); Images excludes them.</summary>
    public int GuardImages { get; internal set; }
    /// <summary>The guard rejected IBC: the model has the basic biases.</summary>
    public bool KeptBasic { get; internal set; }
    /// <summary>Mean over outputs of 10 log10(err_basic / err_ibc) on the validation images.</summary>
    public double GuardGainDb { get; internal set; }
    public double GuardMs { get; internal set; }
  }

  /// <summary>tare_analyze_options; the defaults come from tare_analyze_options_init.</summary>
  public sealed unsafe class AnalyzeOptions
  {
    public AnalyzeOptions()
    {
      Native.tare_analyze_options o;
      Native.tare_analyze_options_init(&o);
      Batch = (int)o.batch;
    }

    /// <summary>Images per GPU run.</summary>
    public int Batch { get; set; }
    /// <summary>Stage "analyze", done/total = images; may be null.</summary>
    public ProgressHandler Progress { get; set; }

    internal Native.tare_analyze_options ToNative(CallState state)
    {
      Native.tare_analyze_options o;
      Native.tare_analyze_options_init(&o);
      o.batch = (uint)Batch;
      if (Progress != null)
      {
        o.progress = Callbacks.ProgressPtr;
        o.user_data = state.UserData;
      }
      return o;
    }
  }

  /// <summary>tare_bft_options (Bias Fine-Tuning); the defaults come from tare_bft_options_init.</summary>
  public sealed unsafe class BftOptions
  {
    /// <summary>At most this many learning rates.</summary>
    public const int MaxRates = 8;

    public BftOptions()
    {
      Native.tare_bft_options o;
      Native.tare_bft_options_init(&o);
      int n = (int)Math.Min(o.rate_count, (uint)MaxRates);
      Rates = new float[n];
      for (int i = 0; i < n; i++) Rates[i] = o.rates[i];
      MiniEpochsPerRate = (int)o.mini_epochs_per_rate;
      ImagesPerMiniEpoch = (int)o.images_per_mini_epoch;
      Batch = (int)o.batch;
      MemoryBudget = o.memory_budget;
      Bias16Bit = o.bias_16bit != 0;
      Seed = o.seed;
      ValidationImages = o.validation_images;
    }

    /// <summary>The learning rates, one stage each (default 1e-3, 1e-4, 1e-5, 1e-6; at most 8).</summary>
    public float[] Rates { get; set; }
    public int MiniEpochsPerRate { get; set; }
    /// <summary>0: every image once per mini-epoch.</summary>
    public int ImagesPerMiniEpoch { get; set; }
    /// <summary>Images per step, shrunk to fit MemoryBudget.</summary>
    public int Batch { get; set; }
    /// <summary>Bytes for training; 0: half the device memory available.</summary>
    public ulong MemoryBudget { get; set; }
    /// <summary>Clamp the final biases to the int16 range.</summary>
    public bool Bias16Bit { get; set; }
    /// <summary>Image order.</summary>
    public uint Seed { get; set; }
    /// <summary>The last N images held out to keep the best biases; -1: count / 8, at least 4; 0: none.</summary>
    public int ValidationImages { get; set; }
    /// <summary>Per mini-epoch; may be null.</summary>
    public LossHandler OnLoss { get; set; }

    internal Native.tare_bft_options ToNative(CallState state)
    {
      Native.tare_bft_options o;
      Native.tare_bft_options_init(&o);
      float[] rates = Rates ?? new float[0];
      // More than 8 rates: passed as a count the library rejects with InvalidArgument.
      o.rate_count = (uint)rates.Length;
      for (int i = 0; i < Math.Min(rates.Length, MaxRates); i++) o.rates[i] = rates[i];
      o.mini_epochs_per_rate = (uint)MiniEpochsPerRate;
      o.images_per_mini_epoch = (uint)ImagesPerMiniEpoch;
      o.batch = (uint)Batch;
      o.memory_budget = MemoryBudget;
      o.bias_16bit = Bias16Bit ? 1 : 0;
      o.seed = Seed;
      o.validation_images = ValidationImages;
      if (OnLoss != null)
      {
        o.on_loss = Callbacks.LossPtr;
        o.user_data = state.UserData;
      }
      return o;
    }
  }

  /// <summary>tare_bft_report.</summary>
  public sealed class BftReport
  {
    public int Layers { get; internal set; }
    public int Batch { get; internal set; }
    public int MiniEpochs { get; internal set; }
    public int Clamped { get; internal set; }
    public double InitialLoss { get; internal set; }
    public double FinalLoss { get; internal set; }
    public ulong TrainingBytes { get; internal set; }
    public double WallMs { get; internal set; }
    public int ValidationImages { get; internal set; }
    /// <summary>Biases kept: after that mini-epoch (0: the starting ones; -1: no validation).</summary>
    public int BestMiniEpoch { get; internal set; }
    public double InitialValidationLoss { get; internal set; }
    public double BestValidationLoss { get; internal set; }
  }

  /// <summary>tare_equalize_options (cross-layer equalization); defaults from tare_equalize_options_init.</summary>
  public sealed unsafe class EqualizeOptions
  {
    public EqualizeOptions()
    {
      Native.tare_equalize_options o;
      Native.tare_equalize_options_init(&o);
      ReplaceRelu6 = o.replace_relu6 != 0;
      MaxIterations = (int)o.max_iterations;
    }

    /// <summary>A RELU6 between two layers becomes RELU (default false: kept exactly as RELU + MINIMUM).</summary>
    public bool ReplaceRelu6 { get; set; }
    /// <summary>Sweeps over the network.</summary>
    public int MaxIterations { get; set; }
  }

  /// <summary>tare_equalize_report.</summary>
  public sealed class EqualizeReport
  {
    public int Pairs { get; internal set; }
    public int Iterations { get; internal set; }
    public int Relu6Replaced { get; internal set; }
    public int Relu6Clipped { get; internal set; }
  }

  /// <summary>Marks a static method called from native code (for AOT compilers that look for this name).</summary>
  [AttributeUsage(AttributeTargets.Method)]
  internal sealed class MonoPInvokeCallbackAttribute : Attribute
  {
    public MonoPInvokeCallbackAttribute(Type type) { Type = type; }
    public Type Type { get; }
  }

  /// <summary>What one native call's callbacks need; passed to them as user_data through a GCHandle.</summary>
  internal sealed unsafe class CallState : IDisposable
  {
    private GCHandle self;
    internal InputProvider Inputs;
    internal float* Images;     // or: images back to back, PerImage floats each
    internal long PerImage;
    internal int Count;
    internal ProgressHandler Progress;
    internal LossHandler Loss;
    internal Exception Error;   // thrown by a callback; rethrown after the call

    internal CallState() { self = GCHandle.Alloc(this); }

    internal IntPtr UserData => GCHandle.ToIntPtr(self);

    /// <summary>Right after the native call: rethrows a callback's exception, else throws on failure.</summary>
    internal void Finish(Status status)
    {
      if (Error != null) ExceptionDispatchInfo.Capture(Error).Throw();
      TareException.Check(status);
    }

    public void Dispose()
    {
      if (self.IsAllocated) self.Free();
    }
  }

  /// <summary>Static trampolines for the C callbacks; the delegates live as long as the process.</summary>
  internal static unsafe class Callbacks
  {
    internal static readonly Native.tare_input_fn Input = InputThunk;
    private static readonly Native.tare_progress_fn progress = ProgressThunk;
    private static readonly Native.tare_loss_fn loss = LossThunk;
    internal static readonly IntPtr ProgressPtr = Marshal.GetFunctionPointerForDelegate(progress);
    internal static readonly IntPtr LossPtr = Marshal.GetFunctionPointerForDelegate(loss);

    [MonoPInvokeCallback(typeof(Native.tare_input_fn))]
    private static Status InputThunk(IntPtr user, uint index, IntPtr dst, UIntPtr size)
    {
      var s = (CallState)GCHandle.FromIntPtr(user).Target;
      if (s.Error != null) return Status.Cancelled;
      try
      {
        ulong bytes = (ulong)size;
        if (bytes % 4 != 0 || bytes / 4 > int.MaxValue)
          throw new InvalidOperationException("Tare asked for an input of " + bytes + " bytes");
        if (index >= (uint)s.Count)
          throw new InvalidOperationException("Tare asked for input " + index + " of " + s.Count);
        int n = (int)(bytes / 4);
        var destination = new Span<float>((void*)dst, n);
        if (s.Images != null)
        {
          if (n != s.PerImage)
            throw new InvalidOperationException("Tare asked for " + n + " floats per image, not " + s.PerImage);
          new ReadOnlySpan<float>(s.Images + index * s.PerImage, n).CopyTo(destination);
        }
        else
        {
          s.Inputs((int)index, destination);
        }
        return Status.Ok;
      }
      catch (Exception e)
      {
        s.Error = e;
        return Status.Cancelled;
      }
    }

    [MonoPInvokeCallback(typeof(Native.tare_progress_fn))]
    private static int ProgressThunk(IntPtr user, IntPtr stage, uint done, uint total)
    {
      var s = (CallState)GCHandle.FromIntPtr(user).Target;
      if (s.Error != null) return 1;
      try
      {
        return s.Progress(Utf8.Decode(stage), (int)done, (int)total) ? 0 : 1;
      }
      catch (Exception e)
      {
        s.Error = e;
        return 1;
      }
    }

    [MonoPInvokeCallback(typeof(Native.tare_loss_fn))]
    private static int LossThunk(IntPtr user, uint miniEpoch, uint total, double value)
    {
      var s = (CallState)GCHandle.FromIntPtr(user).Target;
      if (s.Error != null) return 1;
      try
      {
        return s.Loss((int)miniEpoch, (int)total, value) ? 0 : 1;
      }
      catch (Exception e)
      {
        s.Error = e;
        return 1;
      }
    }
  }

  // Quantization, bias correction, fine-tuning, equalization and analysis, as methods of the float model.
  public sealed unsafe partial class Model
  {
    /// <summary>Floats of one image of input 0 (batch 1).</summary>
    public long FloatsPerImage
    {
      get
      {
        TensorInfo t = GetInput(0);
        long n = t.ElementCount;
        if (t.Rank >= 1 && t.Shape[0] > 1) n /= t.Shape[0];
        return n;
      }
    }

    private void CheckImages(int length, int count)
    {
      if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
      long need = (long)count * FloatsPerImage;
      if (length < need)
        throw new ArgumentException(count + " images need " + need + " floats; got " + length);
    }

    private static void CheckProvider(InputProvider inputs, int count)
    {
      if (inputs == null) throw new ArgumentNullException(nameof(inputs));
      if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
    }

    // ---- quantize -----------------------------------------------------------------------------------------------

    /// <summary>Quantizes this float model to int8, calibrating on `count` images from `inputs`.</summary>
    public Model Quantize(int count, InputProvider inputs, QuantizeOptions options = null)
    {
      QuantizeReport report;
      return Quantize(count, inputs, options, out report);
    }

    /// <summary>Quantizes this float model to int8, calibrating on `count` images from `inputs`.</summary>
    public Model Quantize(int count, InputProvider inputs, QuantizeOptions options, out QuantizeReport report)
    {
      CheckProvider(inputs, count);
      options = options ?? new QuantizeOptions();
      using (var state = new CallState { Inputs = inputs, Count = count, Progress = options.Progress })
      {
        Native.tare_quantize_options o = options.ToNative(state);
        Native.tare_quantize_report r;
        Native.tare_quantize_report_init(&r);
        ModelHandle m;
        Status s = Native.tare_quantize(handle, (uint)count, Callbacks.Input, state.UserData, &o, out m, &r);
        report = QReport(&r);
        return Finish(state, s, m);
      }
    }

    /// <summary>Quantizes this float model to int8, calibrating on `count` images stored back to back.</summary>
    public Model Quantize(ReadOnlySpan<float> images, int count, QuantizeOptions options = null)
    {
      QuantizeReport report;
      return Quantize(images, count, options, out report);
    }

    /// <summary>Quantizes this float model to int8, calibrating on `count` images stored back to back.</summary>
    public Model Quantize(ReadOnlySpan<float> images, int count, QuantizeOptions options, out QuantizeReport report)
    {
      CheckImages(images.Length, count);
      options = options ?? new QuantizeOptions();
      using (var state = new CallState { Count = count, Progress = options.Progress })
      {
        Native.tare_quantize_options o = options.ToNative(state);
        Native.tare_quantize_report r;
        Native.tare_quantize_report_init(&r);
        ModelHandle m;
        Status s;
        fixed (float* p = &MemoryMarshal.GetReference(images))
          s = Native.tare_quantize_array(handle, p, (uint)count, &o, out m, &r);
        report = QReport(&r);
        return Finish(state, s, m);
      }
    }

    // ---- iterative bias correction ------------------------------------------------------------------------------

    /// <summary>Corrects the biases of `quantized` against this float model (IBC) on `count` images.</summary>
    public Model CorrectBias(Model quantized, int count, InputProvider inputs, IbcOptions options = null)
    {
      IbcReport report;
      return CorrectBiasCore(quantized, count, inputs, null, options, out report, null);
    }

    /// <summary>As CorrectBias, also returning the report and each layer's errors before and after.</summary>
    public Model CorrectBias(Model quantized, int count, InputProvider inputs, IbcOptions options,
                             out IbcReport report, out Diagnostics diagnostics)
    {
      var diag = new Diagnostics[1];
      Model result = CorrectBiasCore(quantized, count, inputs, null, options, out report, diag);
      diagnostics = diag[0];
      return result;
    }

    /// <summary>Corrects the biases of `quantized` against this float model (IBC); images back to back.</summary>
    public Model CorrectBias(Model quantized, ReadOnlySpan<float> images, int count, IbcOptions options = null)
    {
      IbcReport report;
      CheckImages(images.Length, count);
      fixed (float* p = &MemoryMarshal.GetReference(images))
        return CorrectBiasCore(quantized, count, null, p, options, out report, null);
    }

    /// <summary>As CorrectBias, also returning the report and each layer's errors before and after.</summary>
    public Model CorrectBias(Model quantized, ReadOnlySpan<float> images, int count, IbcOptions options,
                             out IbcReport report, out Diagnostics diagnostics)
    {
      CheckImages(images.Length, count);
      var diag = new Diagnostics[1];
      Model result;
      fixed (float* p = &MemoryMarshal.GetReference(images))
        result = CorrectBiasCore(quantized, count, null, p, options, out report, diag);
      diagnostics = diag[0];
      return result;
    }

    private Model CorrectBiasCore(Model quantized, int count, InputProvider inputs, float* images,
                                  IbcOptions options, out IbcReport report, Diagnostics[] diagnostics)
    {
      if (quantized == null) throw new ArgumentNullException(nameof(quantized));
      if (images == null) CheckProvider(inputs, count);
      options = options ?? new IbcOptions();
      using (var state = new CallState { Inputs = inputs, Count = count, Progress = options.Progress })
      {
        Native.tare_ibc_options o = options.ToNative(state);
        Native.tare_ibc_report r;
        Native.tare_ibc_report_init(&r);
        ModelHandle m;
        IntPtr d = IntPtr.Zero;
        IntPtr* pd = diagnostics != null ? &d : null;
        Status s = images != null
          ? Native.tare_correct_bias_array(handle, quantized.handle, images, (uint)count, &o, out m, &r, pd)
          : Native.tare_correct_bias(handle, quantized.handle, (uint)count, Callbacks.Input, state.UserData, &o,
                                     out m, &r, pd);
        var dh = new DiagnosticsHandle(d);
        try
        {
          report = new IbcReport
          {
            Layers = (int)r.layers,
            Images = (int)r.images,
            Clamped = (int)r.clamped,
            WallMs = r.wall_ms,
            Kept = (int)r.kept,
            GuardImages = (int)r.guard_images,
            KeptBasic = r.kept_basic != 0,
            GuardGainDb = r.guard_gain_db,
            GuardMs = r.guard_ms,
          };
          Model result = Finish(state, s, m);
          if (diagnostics != null) diagnostics[0] = new Diagnostics(dh);
          return result;
        }
        catch
        {
          dh.Dispose();
          throw;
        }
      }
    }

    // ---- bias fine-tuning ---------------------------------------------------------------------------------------

    /// <summary>Fine-tunes the biases of `quantized` by distillation from this float model (BFT).</summary>
    public Model FineTuneBias(Model quantized, int count, InputProvider inputs, BftOptions options = null)
    {
      BftReport report;
      return FineTuneBias(quantized, count, inputs, options, out report);
    }

    /// <summary>Fine-tunes the biases of `quantized` by distillation from this float model (BFT).</summary>
    public Model FineTuneBias(Model quantized, int count, InputProvider inputs, BftOptions options,
                              out BftReport report)
    {
      CheckProvider(inputs, count);
      return FineTuneCore(quantized, count, inputs, null, options, out report);
    }

    /// <summary>Fine-tunes the biases of `quantized` (BFT) on images stored back to back.</summary>
    public Model FineTuneBias(Model quantized, ReadOnlySpan<float> images, int count, BftOptions options = null)
    {
      BftReport report;
      return FineTuneBias(quantized, images, count, options, out report);
    }

    /// <summary>Fine-tunes the biases of `quantized` (BFT) on images stored back to back.</summary>
    public Model FineTuneBias(Model quantized, ReadOnlySpan<float> images, int count, BftOptions options,
                              out BftReport report)
    {
      CheckImages(images.Length, count);
      fixed (float* p = &MemoryMarshal.GetReference(images))
        return FineTuneCore(quantized, count, null, p, options, out report);
    }

    private Model FineTuneCore(Model quantized, int count, InputProvider inputs, float* images, BftOptions options,
                               out BftReport report)
    {
      if (quantized == null) throw new ArgumentNullException(nameof(quantized));
      options = options ?? new BftOptions();
      using (var state = new CallState { Inputs = inputs, Images = images, Count = count, Loss = options.OnLoss })
      {
        if (images != null) state.PerImage = FloatsPerImage;
        Native.tare_bft_options o = options.ToNative(state);
        Native.tare_bft_report r;
        Native.tare_bft_report_init(&r);
        ModelHandle m;
        Status s = Native.tare_fine_tune_bias(handle, quantized.handle, (uint)count, Callbacks.Input, state.UserData,
                                              &o, out m, &r);
        report = new BftReport
        {
          Layers = (int)r.layers,
          Batch = (int)r.batch,
          MiniEpochs = (int)r.mini_epochs,
          Clamped = (int)r.clamped,
          InitialLoss = r.initial_loss,
          FinalLoss = r.final_loss,
          TrainingBytes = r.training_bytes,
          WallMs = r.wall_ms,
          ValidationImages = (int)r.validation_images,
          BestMiniEpoch = r.best_mini_epoch,
          InitialValidationLoss = r.initial_validation_loss,
          BestValidationLoss = r.best_validation_loss,
        };
        return Finish(state, s, m);
      }
    }

    // ---- equalization -------------------------------------------------------------------------------------------

    /// <summary>Cross-layer equalization of this float model (before quantization).</summary>
    public Model Equalize(EqualizeOptions options = null)
    {
      EqualizeReport report;
      return Equalize(options, out report);
    }

    /// <summary>Cross-layer equalization of this float model (before quantization).</summary>
    public Model Equalize(EqualizeOptions options, out EqualizeReport report)
    {
      options = options ?? new EqualizeOptions();
      Native.tare_equalize_options o;
      Native.tare_equalize_options_init(&o);
      o.replace_relu6 = options.ReplaceRelu6 ? 1 : 0;
      o.max_iterations = (uint)options.MaxIterations;
      Native.tare_equalize_report r;
      Native.tare_equalize_report_init(&r);
      ModelHandle m;
      Status s = Native.tare_equalize(handle, &o, out m, &r);
      TareException.Check(s);
      report = new EqualizeReport
      {
        Pairs = (int)r.pairs,
        Iterations = (int)r.iterations,
        Relu6Replaced = (int)r.relu6_replaced,
        Relu6Clipped = (int)r.relu6_clipped,
      };
      return new Model(m);
    }

    // ---- analysis -----------------------------------------------------------------------------------------------

    /// <summary>Errors of `quantized` ("before") and of `corrected` (may be null; "after") against this float
    /// model on `count` images.</summary>
    public Diagnostics Analyze(Model quantized, Model corrected, int count, InputProvider inputs,
                               AnalyzeOptions options = null)
    {
      CheckProvider(inputs, count);
      return AnalyzeCore(quantized, corrected, count, inputs, null, options);
    }

    /// <summary>As Analyze, with the images stored back to back.</summary>
    public Diagnostics Analyze(Model quantized, Model corrected, ReadOnlySpan<float> images, int count,
                               AnalyzeOptions options = null)
    {
      CheckImages(images.Length, count);
      fixed (float* p = &MemoryMarshal.GetReference(images))
        return AnalyzeCore(quantized, corrected, count, null, p, options);
    }

    /// <summary>Errors of `model` against this float model on `count` images, kept in `diagnostics` as `stage`
    /// (e.g. ErrorStage.Bft for a fine-tuned model; tare_diagnostics_measure).</summary>
    public void Measure(Diagnostics diagnostics, ErrorStage stage, Model model, int count, InputProvider inputs,
                        AnalyzeOptions options = null)
    {
      if (diagnostics == null) throw new ArgumentNullException(nameof(diagnostics));
      if (model == null) throw new ArgumentNullException(nameof(model));
      CheckProvider(inputs, count);
      options = options ?? new AnalyzeOptions();
      using (var state = new CallState { Inputs = inputs, Count = count, Progress = options.Progress })
      {
        Native.tare_analyze_options o = options.ToNative(state);
        Status s = Native.tare_diagnostics_measure(diagnostics.Handle, stage, handle, model.handle, (uint)count,
                                                   Callbacks.Input, state.UserData, &o);
        state.Finish(s);
      }
    }

    private Diagnostics AnalyzeCore(Model quantized, Model corrected, int count, InputProvider inputs, float* images,
                                    AnalyzeOptions options)
    {
      if (quantized == null) throw new ArgumentNullException(nameof(quantized));
      options = options ?? new AnalyzeOptions();
      using (var state = new CallState { Inputs = inputs, Images = images, Count = count, Progress = options.Progress })
      {
        if (images != null) state.PerImage = FloatsPerImage;
        Native.tare_analyze_options o = options.ToNative(state);
        bool added = false;
        try
        {
          IntPtr c = IntPtr.Zero;
          if (corrected != null)
          {
            corrected.handle.DangerousAddRef(ref added);
            c = corrected.handle.DangerousGetHandle();
          }
          DiagnosticsHandle d;
          Status s = Native.tare_analyze(handle, quantized.handle, c, (uint)count, Callbacks.Input, state.UserData,
                                         &o, out d);
          try
          {
            state.Finish(s);
          }
          catch
          {
            d.Dispose();
            throw;
          }
          return new Diagnostics(d);
        }
        finally
        {
          if (added) corrected.handle.DangerousRelease();
        }
      }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static Model Finish(CallState state, Status status, ModelHandle result)
    {
      try
      {
        state.Finish(status);
      }
      catch
      {
        result.Dispose();
        throw;
      }
      return new Model(result);
    }

    private static QuantizeReport QReport(Native.tare_quantize_report* r)
    {
      return new QuantizeReport
      {
        DeadChannels = (int)r->dead_channels,
        QuantizedWeights = (int)r->quantized_weights,
        Activations = (int)r->activations,
        CalibrationMs = r->calibration_ms,
      };
    }
  }
}

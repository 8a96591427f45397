using System;
using System.Runtime.InteropServices;

namespace Tare
{
  /// <summary>tare_session_options; the defaults come from tare_session_options_init.</summary>
  public sealed unsafe class SessionOptions
  {
    public SessionOptions()
    {
      Native.tare_session_options o;
      Native.tare_session_options_init(&o);
      Precision = o.precision;
      Batch = o.batch;
      Profiling = o.profiling != 0;
    }

    /// <summary>Fp32 (default) or Fp16 (an error where the device lacks fp16 storage and arithmetic).</summary>
    public Precision Precision { get; set; }
    /// <summary>0 = the model's own batch.</summary>
    public int Batch { get; set; }
    /// <summary>Record per-op GPU timestamps (Session.Profile).</summary>
    public bool Profiling { get; set; }
  }

  /// <summary>tare_memory_report: device memory of a session.</summary>
  public sealed class MemoryReport
  {
    public ulong ConstantBytes { get; internal set; }
    public ulong ActivationBytes { get; internal set; }
    public ulong UnplannedBytes { get; internal set; }
    public ulong StagingBytes { get; internal set; }
  }

  /// <summary>tare_run_timing: where the wall time of the last run went, in ms (GPU figures need profiling).</summary>
  public sealed class RunTiming
  {
    public double RunMs { get; internal set; }
    public double QueueWaitMs { get; internal set; }
    public double SubmitMs { get; internal set; }
    public double FenceWaitMs { get; internal set; }
    public double ProfileReadMs { get; internal set; }
    public double GpuSpanMs { get; internal set; }
    public double GpuOpsMs { get; internal set; }
  }

  /// <summary>tare_pipeline_report: a session's compute pipelines and what compiling them cost.</summary>
  public sealed class PipelineReport
  {
    public uint Pipelines { get; internal set; }
    public uint Shaders { get; internal set; }
    public uint Compiled { get; internal set; }
    public uint Threads { get; internal set; }
    public double CompileMs { get; internal set; }
    public double CompileSumMs { get; internal set; }
  }

  /// <summary>One op's GPU time in the last run.</summary>
  public struct ProfileEntry
  {
    public ProfileEntry(string name, double milliseconds)
    {
      Name = name;
      Milliseconds = milliseconds;
    }

    /// <summary>E.g. "CONV_2D#3".</summary>
    public string Name { get; }
    public double Milliseconds { get; }
  }

  /// <summary>A model planned on its device, ready to run (tare_session).  Not for two threads at once.</summary>
  public sealed unsafe class Session : IDisposable
  {
    private readonly SessionHandle handle;

    internal Session(SessionHandle handle) { this.handle = handle; }

    /// <summary>The native handle (for interop with other bindings of the C API).</summary>
    public SessionHandle Handle => handle;

    public TensorInfo GetInput(int index)
    {
      Native.tare_tensor_info i;
      Native.tare_tensor_info_init(&i);
      TareException.Check(Native.tare_session_input_info(handle, Model.Index(index), &i));
      return new TensorInfo(&i);
    }

    public TensorInfo GetOutput(int index)
    {
      Native.tare_tensor_info i;
      Native.tare_tensor_info_init(&i);
      TareException.Check(Native.tare_session_output_info(handle, Model.Index(index), &i));
      return new TensorInfo(&i);
    }

    /// <summary>Copies data (exactly the input's ByteSize, in its DType) into input `index`.</summary>
    public void SetInput<T>(int index, ReadOnlySpan<T> data) where T : struct
    {
      ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(data);
      fixed (byte* p = &MemoryMarshal.GetReference(bytes))
        TareException.Check(Native.tare_session_set_input(handle, Model.Index(index), p, (UIntPtr)bytes.Length));
    }

    /// <summary>Copies data (exactly the input's ByteSize, in its DType) into input `index`.</summary>
    public void SetInput<T>(int index, T[] data) where T : struct
    {
      if (data == null) throw new ArgumentNullException(nameof(data));
      SetInput(index, new ReadOnlySpan<T>(data));
    }

    /// <summary>Preprocesses pixels straight into input `index` (tare_session_set_input_image): rotation, crop,
    /// Pillow-exact resize to the input's size, normalization, the input's dtype.  options null: the defaults.</summary>
    public void SetInputImage(int index, Pixels pixels, ImageOptions options = null)
    {
      if (pixels == null) throw new ArgumentNullException(nameof(pixels));
      Native.tare_image_options o = (options ?? new ImageOptions()).ToNative();
      uint i = Model.Index(index);
      pixels.CheckLengths();
      fixed (byte* d = pixels.Data)
      fixed (byte* uv = pixels.Uv)
      {
        Native.tare_pixels p = ImagePreprocessing.ToNative(pixels, d, uv);
        TareException.Check(Native.tare_session_set_input_image(handle, i, &p, &o));
      }
    }

    /// <summary>Runs the graph on the GPU and waits for it.</summary>
    public void Run() => TareException.Check(Native.tare_session_run(handle));

    /// <summary>Copies output `index` into destination (exactly the output's ByteSize).</summary>
    public void GetOutput<T>(int index, Span<T> destination) where T : struct
    {
      Span<byte> bytes = MemoryMarshal.AsBytes(destination);
      fixed (byte* p = &MemoryMarshal.GetReference(bytes))
        TareException.Check(Native.tare_session_get_output(handle, Model.Index(index), p, (UIntPtr)bytes.Length));
    }

    /// <summary>Copies output `index` into destination (exactly the output's ByteSize).</summary>
    public void GetOutput<T>(int index, T[] destination) where T : struct
    {
      if (destination == null) throw new ArgumentNullException(nameof(destination));
      GetOutput(index, new Span<T>(destination));
    }

    /// <summary>Output `index` as a new array of T (e.g. float for a float32 output).</summary>
    public T[] GetOutput<T>(int index) where T : struct
    {
      long bytes = GetOutput(index).ByteSize;
      int size = Marshal.SizeOf(typeof(T));
      if (bytes % size != 0) throw new ArgumentException("output " + index + " is not a whole number of " + typeof(T));
      var result = new T[bytes / size];
      GetOutput(index, new Span<T>(result));
      return result;
    }

    /// <summary>Device memory of this session.</summary>
    public MemoryReport Memory
    {
      get
      {
        Native.tare_memory_report r;
        Native.tare_memory_report_init(&r);
        TareException.Check(Native.tare_session_memory(handle, &r));
        return new MemoryReport
        {
          ConstantBytes = r.constant_bytes,
          ActivationBytes = r.activation_bytes,
          UnplannedBytes = r.unplanned_bytes,
          StagingBytes = r.staging_bytes,
        };
      }
    }

    /// <summary>Where the wall time of the last run went (all 0 before the first run).</summary>
    public RunTiming LastRunTiming
    {
      get
      {
        Native.tare_run_timing t;
        Native.tare_run_timing_init(&t);
        TareException.Check(Native.tare_session_run_timing(handle, &t));
        return new RunTiming
        {
          RunMs = t.run_ms,
          QueueWaitMs = t.queue_wait_ms,
          SubmitMs = t.submit_ms,
          FenceWaitMs = t.fence_wait_ms,
          ProfileReadMs = t.profile_read_ms,
          GpuSpanMs = t.gpu_span_ms,
          GpuOpsMs = t.gpu_ops_ms,
        };
      }
    }

    /// <summary>This session's pipelines and their compile cost.</summary>
    public PipelineReport Pipelines
    {
      get
      {
        Native.tare_pipeline_report r;
        Native.tare_pipeline_report_init(&r);
        TareException.Check(Native.tare_session_pipelines(handle, &r));
        return new PipelineReport
        {
          Pipelines = r.pipelines,
          Shaders = r.shaders,
          Compiled = r.compiled,
          Threads = r.threads,
          CompileMs = r.compile_ms,
          CompileSumMs = r.compile_sum_ms,
        };
      }
    }

    /// <summary>Per-op GPU times of the last run (SessionOptions.Profiling and device timestamps needed).</summary>
    public ProfileEntry[] Profile()
    {
      uint n;
      TareException.Check(Native.tare_session_profile_count(handle, out n));
      var entries = new ProfileEntry[n];
      for (uint i = 0; i < n; i++)
      {
        IntPtr name;
        double ms;
        TareException.Check(Native.tare_session_profile_entry(handle, i, out name, out ms));
        entries[i] = new ProfileEntry(Utf8.Decode(name), ms);
      }
      return entries;
    }

    public void Dispose() => handle.Dispose();
  }
}

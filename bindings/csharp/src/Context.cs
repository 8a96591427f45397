using System;
using System.Runtime.InteropServices;

namespace Tare
{
  /// <summary>tare_context_options; the defaults come from tare_context_options_init.</summary>
  public sealed unsafe class ContextOptions
  {
    public ContextOptions()
    {
      Native.tare_context_options o;
      Native.tare_context_options_init(&o);
      DeviceIndex = o.device_index;
      DeviceName = Utf8.Decode(o.device_name);
      Validation = o.validation != 0;
    }

    /// <summary>-1 = automatic (discrete > integrated > virtual > CPU, or $TARE_DEVICE); else a device index.</summary>
    public int DeviceIndex { get; set; }
    /// <summary>With DeviceIndex -1: the first device whose name contains this.</summary>
    public string DeviceName { get; set; }
    /// <summary>Enable the Khronos validation layer (also enabled by TARE_VALIDATION=1).</summary>
    public bool Validation { get; set; }
    /// <summary>Bytes of Context.GetPipelineCache() from an earlier run; ignored if from another device.</summary>
    public byte[] PipelineCache { get; set; }
  }

  /// <summary>A Vulkan device and its pipeline cache (tare_context).  Thread-safe.</summary>
  public sealed unsafe class Context : IDisposable
  {
    private readonly ContextHandle handle;

    /// <summary>Creates a context; options null = the defaults.</summary>
    public Context(ContextOptions options = null)
    {
      options = options ?? new ContextOptions();
      Native.tare_context_options o;
      Native.tare_context_options_init(&o);
      o.device_index = options.DeviceIndex;
      o.validation = options.Validation ? 1 : 0;
      byte[] name = options.DeviceName == null ? null : Utf8.Encode(options.DeviceName);
      byte[] cache = options.PipelineCache;
      fixed (byte* pName = name)
      fixed (byte* pCache = cache)
      {
        o.device_name = (IntPtr)pName;
        o.pipeline_cache_data = (IntPtr)pCache;
        o.pipeline_cache_size = (UIntPtr)(cache == null ? 0 : cache.Length);
        TareException.Check(Native.tare_context_create(&o, out handle));
      }
    }

    /// <summary>The native handle (for interop with other bindings of the C API).</summary>
    public ContextHandle Handle => handle;

    /// <summary>The device this context runs on.</summary>
    public DeviceInfo Device
    {
      get
      {
        Native.tare_device_info info;
        Native.tare_device_info_init(&info);
        TareException.Check(Native.tare_context_get_device_info(handle, &info));
        return new DeviceInfo(&info);
      }
    }

    /// <summary>Every pipeline compiled so far, to pass back through ContextOptions.PipelineCache next time.</summary>
    public byte[] GetPipelineCache()
    {
      IntPtr data;
      UIntPtr size;
      TareException.Check(Native.tare_context_pipeline_cache(handle, out data, out size));
      return Model.TakeBytes(data, size);
    }

    /// <summary>Messages the validation layer has reported on this context so far.</summary>
    public ulong ValidationMessages
    {
      get
      {
        ulong n;
        TareException.Check(Native.tare_context_validation_messages(handle, out n));
        return n;
      }
    }

    /// <summary>Loads and verifies a .tflite file.</summary>
    public Model LoadModel(string path)
    {
      ModelHandle m;
      TareException.Check(Native.tare_model_load_file(handle, Utf8.Encode(path), out m));
      return new Model(m);
    }

    /// <summary>Loads a .tflite model from memory (the bytes are copied).</summary>
    public Model LoadModel(ReadOnlySpan<byte> data)
    {
      ModelHandle m;
      fixed (byte* p = &MemoryMarshal.GetReference(data))
        TareException.Check(Native.tare_model_load_memory(handle, p, (UIntPtr)data.Length, out m));
      return new Model(m);
    }

    /// <summary>Loads a .tflite model from memory (the bytes are copied).</summary>
    public Model LoadModel(byte[] data)
    {
      if (data == null) throw new ArgumentNullException(nameof(data));
      return LoadModel(new ReadOnlySpan<byte>(data));
    }

    public void Dispose() => handle.Dispose();
  }
}

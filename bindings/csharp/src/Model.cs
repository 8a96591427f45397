using System;
using System.Runtime.InteropServices;

namespace Tare
{
  /// <summary>tare_tensor_info: a tensor's name, type, shape and quantization.</summary>
  public sealed unsafe class TensorInfo
  {
    internal TensorInfo(Native.tare_tensor_info* i)
    {
      Name = Utf8.FromFixed(i->name, 256);
      DType = i->dtype;
      int rank = Math.Max(0, Math.Min(i->rank, 8));
      Shape = new int[rank];
      for (int d = 0; d < rank; d++) Shape[d] = i->shape[d];
      ByteSize = (long)(ulong)i->byte_size;
      Quantized = i->quantized != 0;
      Scale = i->scale;
      ZeroPoint = i->zero_point;
      QuantizedDimension = i->quantized_dimension;
      NumScales = i->num_scales;
    }

    public string Name { get; }
    public DType DType { get; }
    public int[] Shape { get; }
    public int Rank => Shape.Length;
    /// <summary>Bytes of the dense tensor in DType.</summary>
    public long ByteSize { get; }
    /// <summary>Number of elements (product of the shape).</summary>
    public long ElementCount
    {
      get
      {
        long n = 1;
        foreach (int d in Shape) n *= d;
        return n;
      }
    }
    /// <summary>True if Scale and ZeroPoint are meaningful.</summary>
    public bool Quantized { get; }
    public float Scale { get; }
    public long ZeroPoint { get; }
    /// <summary>Axis of per-channel parameters, or -1.</summary>
    public int QuantizedDimension { get; }
    public int NumScales { get; }

    public override string ToString() => Name + " " + DType + " [" + string.Join(",", Shape) + "]";
  }

  /// <summary>tare_op_info: an operator in execution order.</summary>
  public sealed unsafe class OpInfo
  {
    internal OpInfo(Native.tare_op_info* i)
    {
      Type = Utf8.FromFixed(i->type, 64);
      SourceIndex = i->source_index;
      NumInputs = (int)i->num_inputs;
      NumOutputs = (int)i->num_outputs;
      Inputs = new int[Math.Min(NumInputs, 8)];
      for (int k = 0; k < Inputs.Length; k++) Inputs[k] = i->inputs[k];
      Outputs = new int[Math.Min(NumOutputs, 4)];
      for (int k = 0; k < Outputs.Length; k++) Outputs[k] = i->outputs[k];
      Macs = i->macs;
    }

    /// <summary>TFLite builtin name, e.g. "CONV_2D".</summary>
    public string Type { get; }
    /// <summary>The operator's index in the .tflite file.</summary>
    public int SourceIndex { get; }
    /// <summary>May exceed Inputs.Length (at most 8 are listed).</summary>
    public int NumInputs { get; }
    public int NumOutputs { get; }
    /// <summary>Tensor indices (Model.GetTensor); -1 marks an omitted optional input.</summary>
    public int[] Inputs { get; }
    public int[] Outputs { get; }
    /// <summary>Multiply-accumulates at batch 1 (conv, depthwise, fully connected).</summary>
    public ulong Macs { get; }

    public override string ToString() => Type + "#" + SourceIndex;
  }

  /// <summary>A loaded (or quantized, corrected, ...) model (tare_model).  Thread-safe; immutable.</summary>
  public sealed unsafe partial class Model : IDisposable
  {
    private readonly ModelHandle handle;

    internal Model(ModelHandle handle) { this.handle = handle; }

    /// <summary>The native handle (for interop with other bindings of the C API).</summary>
    public ModelHandle Handle => handle;

    public int InputCount
    {
      get
      {
        uint n;
        TareException.Check(Native.tare_model_input_count(handle, out n));
        return (int)n;
      }
    }

    public int OutputCount
    {
      get
      {
        uint n;
        TareException.Check(Native.tare_model_output_count(handle, out n));
        return (int)n;
      }
    }

    /// <summary>Every tensor of the model, constants included.</summary>
    public int TensorCount
    {
      get
      {
        uint n;
        TareException.Check(Native.tare_model_tensor_count(handle, out n));
        return (int)n;
      }
    }

    /// <summary>Operators in execution order, after import-time folding.</summary>
    public int OpCount
    {
      get
      {
        uint n;
        TareException.Check(Native.tare_model_op_count(handle, out n));
        return (int)n;
      }
    }

    public TensorInfo GetInput(int index)
    {
      Native.tare_tensor_info i;
      Native.tare_tensor_info_init(&i);
      TareException.Check(Native.tare_model_input_info(handle, Index(index), &i));
      return new TensorInfo(&i);
    }

    public TensorInfo GetOutput(int index)
    {
      Native.tare_tensor_info i;
      Native.tare_tensor_info_init(&i);
      TareException.Check(Native.tare_model_output_info(handle, Index(index), &i));
      return new TensorInfo(&i);
    }

    public TensorInfo GetTensor(int index)
    {
      Native.tare_tensor_info i;
      Native.tare_tensor_info_init(&i);
      TareException.Check(Native.tare_model_tensor_info(handle, Index(index), &i));
      return new TensorInfo(&i);
    }

    public OpInfo GetOp(int index)
    {
      Native.tare_op_info i;
      Native.tare_op_info_init(&i);
      TareException.Check(Native.tare_model_op_info(handle, Index(index), &i));
      return new OpInfo(&i);
    }

    public TensorInfo[] Inputs
    {
      get
      {
        var all = new TensorInfo[InputCount];
        for (int i = 0; i < all.Length; i++) all[i] = GetInput(i);
        return all;
      }
    }

    public TensorInfo[] Outputs
    {
      get
      {
        var all = new TensorInfo[OutputCount];
        for (int i = 0; i < all.Length; i++) all[i] = GetOutput(i);
        return all;
      }
    }

    public OpInfo[] Ops
    {
      get
      {
        var all = new OpInfo[OpCount];
        for (int i = 0; i < all.Length; i++) all[i] = GetOp(i);
        return all;
      }
    }

    /// <summary>Plans memory, creates pipelines, records the command buffer.  options null = the defaults.</summary>
    public Session CreateSession(SessionOptions options = null)
    {
      options = options ?? new SessionOptions();
      Native.tare_session_options o;
      Native.tare_session_options_init(&o);
      o.precision = options.Precision;
      o.batch = options.Batch;
      o.profiling = options.Profiling ? 1 : 0;
      SessionHandle s;
      TareException.Check(Native.tare_session_create(handle, &o, out s));
      return new Session(s);
    }

    /// <summary>The model as a standard .tflite file (int8 for a quantized model).</summary>
    public byte[] Export()
    {
      IntPtr data;
      UIntPtr size;
      TareException.Check(Native.tare_model_export_memory(handle, out data, out size));
      return TakeBytes(data, size);
    }

    /// <summary>Writes the model as a standard .tflite file.</summary>
    public void Export(string path)
    {
      TareException.Check(Native.tare_model_export_file(handle, Utf8.Encode(path)));
    }

    public void Dispose() => handle.Dispose();

    /// <summary>Copies bytes allocated by Tare and releases them with tare_free.</summary>
    internal static byte[] TakeBytes(IntPtr data, UIntPtr size)
    {
      try
      {
        ulong n = (ulong)size;
        if (n > int.MaxValue) throw new OutOfMemoryException("Tare returned more than 2 GiB");
        var bytes = new byte[n];
        if (n > 0) Marshal.Copy(data, bytes, 0, (int)n);
        return bytes;
      }
      finally
      {
        Native.tare_free(data);
      }
    }

    internal static uint Index(int index)
    {
      if (index < 0) throw new ArgumentOutOfRangeException(nameof(index));
      return (uint)index;
    }
  }
}

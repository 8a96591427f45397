using System;

namespace Tare
{
  /// <summary>tare_layer_info: a corrected/analyzed layer.</summary>
  public sealed class LayerInfo
  {
    /// <summary>Output tensor name.</summary>
    public string Name { get; internal set; }
    /// <summary>"CONV_2D", "DEPTHWISE_CONV_2D" or "FULLY_CONNECTED".</summary>
    public string Op { get; internal set; }
    /// <summary>Fused activation: "NONE", "RELU", "RELU6", "RELU_N1_TO_1".</summary>
    public string Activation { get; internal set; }
    /// <summary>Operator index in the quantized model.</summary>
    public int OpIndex { get; internal set; }
    public int Channels { get; internal set; }
    /// <summary>True if the "after" stage was measured.</summary>
    public bool HasAfter { get; internal set; }

    public override string ToString() => Name + " (" + Op + ", " + Channels + " channels)";
  }

  /// <summary>tare_error_stats of e = x_quantized - x_float (NaN where a ratio is undefined).</summary>
  public sealed class ErrorStats
  {
    /// <summary>E(e): mean activation shift (summary: RMS over channels).</summary>
    public double Mas { get; internal set; }
    /// <summary>E(e) / sqrt(E(x^2)).</summary>
    public double Mssr { get; internal set; }
    /// <summary>sqrt(E(e^2) / E(x^2)).</summary>
    public double Rqnsr { get; internal set; }
    /// <summary>E(e)^2 / E(e^2) (summary: mean over channels).</summary>
    public double MeanShare { get; internal set; }
    /// <summary>Summary only: max over channels of |E(e)|.</summary>
    public double MasAbsMax { get; internal set; }
    /// <summary>Values per channel.</summary>
    public double Count { get; internal set; }
  }

  /// <summary>Per-layer, per-channel quantization error statistics (tare_diagnostics).</summary>
  public sealed unsafe class Diagnostics : IDisposable
  {
    private readonly DiagnosticsHandle handle;

    internal Diagnostics(DiagnosticsHandle handle) { this.handle = handle; }

    /// <summary>The native handle (for interop with other bindings of the C API).</summary>
    public DiagnosticsHandle Handle => handle;

    public int LayerCount
    {
      get
      {
        uint n;
        TareException.Check(Native.tare_diagnostics_layer_count(handle, out n));
        return (int)n;
      }
    }

    public LayerInfo GetLayer(int layer)
    {
      Native.tare_layer_info i = default(Native.tare_layer_info);
      i.struct_size = (UIntPtr)sizeof(Native.tare_layer_info);
      TareException.Check(Native.tare_diagnostics_layer(handle, Model.Index(layer), &i));
      return new LayerInfo
      {
        Name = Utf8.Decode(i.name),
        Op = Utf8.Decode(i.op),
        Activation = Utf8.Decode(i.activation),
        OpIndex = i.op_index,
        Channels = (int)i.channels,
        HasAfter = i.has_after != 0,
      };
    }

    public LayerInfo[] Layers
    {
      get
      {
        var all = new LayerInfo[LayerCount];
        for (int i = 0; i < all.Length; i++) all[i] = GetLayer(i);
        return all;
      }
    }

    /// <summary>Statistics of one channel of one layer.</summary>
    public ErrorStats Channel(int layer, int channel, ErrorPoint point, ErrorStage stage)
    {
      Native.tare_error_stats s = default(Native.tare_error_stats);
      s.struct_size = (UIntPtr)sizeof(Native.tare_error_stats);
      TareException.Check(Native.tare_diagnostics_channel(handle, Model.Index(layer), Model.Index(channel), point,
                                                          stage, &s));
      return Wrap(&s);
    }

    /// <summary>RMS over the channels of one layer.</summary>
    public ErrorStats Summary(int layer, ErrorPoint point, ErrorStage stage)
    {
      Native.tare_error_stats s = default(Native.tare_error_stats);
      s.struct_size = (UIntPtr)sizeof(Native.tare_error_stats);
      TareException.Check(Native.tare_diagnostics_summary(handle, Model.Index(layer), point, stage, &s));
      return Wrap(&s);
    }

    /// <summary>Adds a line to report.html's table `section` (e.g. "settings", "accuracy").</summary>
    public void Note(string section, string key, string value)
    {
      TareException.Check(Native.tare_diagnostics_note(handle, Utf8.Encode(section), Utf8.Encode(key),
                                                       Utf8.Encode(value)));
    }

    /// <summary>Writes errors.csv, summary.csv and report.html into directory (created if missing).</summary>
    public void Write(string directory)
    {
      TareException.Check(Native.tare_diagnostics_write(handle, Utf8.Encode(directory)));
    }

    public void Dispose() => handle.Dispose();

    private static ErrorStats Wrap(Native.tare_error_stats* s)
    {
      return new ErrorStats
      {
        Mas = s->mas,
        Mssr = s->mssr,
        Rqnsr = s->rqnsr,
        MeanShare = s->mean_share,
        MasAbsMax = s->mas_abs_max,
        Count = s->count,
      };
    }
  }
}

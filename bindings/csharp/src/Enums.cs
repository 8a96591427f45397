namespace Tare
{
  /// <summary>tare_status.  New codes may appear in minor versions: do not assume the list is closed.</summary>
  public enum Status : int
  {
    Ok = 0,
    InvalidArgument = 1,
    InvalidModel = 2,
    Unsupported = 3,
    NoVulkan = 4,
    Device = 5,
    OutOfMemory = 6,
    Io = 7,
    Cancelled = 8,
    Internal = 9,
    Timeout = 10,
    DeviceLost = 11,
  }

  /// <summary>tare_dtype: element type of a tensor.</summary>
  public enum DType : int
  {
    Float32 = 0,
    Float16 = 1,
    Int32 = 2,
    UInt8 = 3,
    Int8 = 4,
    Int64 = 5,
    Int16 = 6,
    Bool = 7,
  }

  /// <summary>tare_precision: storage and arithmetic of a session's float tensors.</summary>
  public enum Precision : int
  {
    Fp32 = 0,
    Fp16 = 1,
  }

  /// <summary>tare_device_type (Vulkan's physical device types).</summary>
  public enum DeviceType : int
  {
    Other = 0,
    IntegratedGpu = 1,
    DiscreteGpu = 2,
    VirtualGpu = 3,
    Cpu = 4,
  }

  /// <summary>tare_weight_rounding: how float weights are rounded to 8 bits.</summary>
  public enum WeightRounding : int
  {
    NearestAway = 0,
    NearestEven = 1,
  }

  /// <summary>tare_range_method: how each activation's range is chosen from the calibration inputs.</summary>
  public enum RangeMethod : int
  {
    /// <summary>The observed minimum and maximum.</summary>
    MinMax = 0,
    /// <summary>QuantizeOptions.Percentile of the values above 0, 100 minus it below.</summary>
    Percentile = 1,
    /// <summary>The range whose int8 grid has the smallest squared error over the values' histogram.</summary>
    Mse = 2,
  }

  /// <summary>tare_ibc_heads: which layers IBC corrects.</summary>
  public enum IbcHeads : int
  {
    /// <summary>Every layer (the paper).</summary>
    Correct = 0,
    /// <summary>Not the raw output heads (read by a model output through layout ops only: a detector's score logits
    /// and box regressors).</summary>
    Keep = 1,
  }

  /// <summary>tare_error_point: where a layer's quantization error is measured.</summary>
  public enum ErrorPoint : int
  {
    PreActivation = 0,
    PostActivation = 1,
  }

  /// <summary>tare_error_stage: the model an error was measured on.</summary>
  public enum ErrorStage : int
  {
    Before = 0,
    After = 1,
    Bft = 2,
    Unequalized = 3,
  }

  /// <summary>tare_pixel_format: the layout of a pixel buffer (NV21/NV12: YCbCr 4:2:0, BT.601 full range).</summary>
  public enum PixelFormat : int
  {
    Rgba8 = 0,
    Bgra8 = 1,
    Rgb8 = 2,
    Bgr8 = 3,
    Gray8 = 4,
    Nv21 = 5,
    Nv12 = 6,
  }

  /// <summary>tare_rotation: a clockwise turn of the image before it is cropped.</summary>
  public enum Rotation : int
  {
    Rotate0 = 0,
    Rotate90 = 1,
    Rotate180 = 2,
    Rotate270 = 3,
  }

  /// <summary>tare_resize_filter: Pillow's Image.BILINEAR or Image.NEAREST, bit for bit.</summary>
  public enum ResizeFilter : int
  {
    Bilinear = 0,
    Nearest = 1,
  }

  /// <summary>tare_channel_order of the input tensor.</summary>
  public enum ChannelOrder : int
  {
    Rgb = 0,
    Bgr = 1,
  }
}

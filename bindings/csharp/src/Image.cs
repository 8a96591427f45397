using System;
using System.Runtime.InteropServices;

namespace Tare
{
  /// <summary>A pixel buffer (tare_pixels): rows Stride bytes apart (0: packed).  NV12/NV21: Uv is the chroma plane
  /// ((Height + 1) / 2 rows of (Width + 1) / 2 pairs, UvStride bytes apart, 0: the Y stride), or null when it follows
  /// the Y plane in Data.</summary>
  public sealed class Pixels
  {
    public Pixels(PixelFormat format, int width, int height, byte[] data, int stride = 0)
    {
      Format = format;
      Width = width;
      Height = height;
      Data = data ?? throw new ArgumentNullException(nameof(data));
      Stride = stride;
    }

    public PixelFormat Format { get; set; }
    public int Width { get; set; }
    public int Height { get; set; }
    public byte[] Data { get; set; }
    public int Stride { get; set; }
    public byte[] Uv { get; set; }
    public int UvStride { get; set; }

    private static int BytesPerPixel(PixelFormat f) =>
      f == PixelFormat.Rgba8 || f == PixelFormat.Bgra8 ? 4 : f == PixelFormat.Rgb8 || f == PixelFormat.Bgr8 ? 3 : 1;

    /// <summary>Checks that the arrays hold every byte the library will read (the C API cannot).</summary>
    internal void CheckLengths()
    {
      if (Width <= 0 || Height <= 0 || Stride < 0 || UvStride < 0) return;  // the library names the problem
      long row = (long)Width * BytesPerPixel(Format), stride = Stride == 0 ? row : Stride;
      if (stride < row) return;
      long need = stride * (Height - 1) + row;
      if (Format == PixelFormat.Nv12 || Format == PixelFormat.Nv21)
      {
        long uvStride = UvStride == 0 ? stride : UvStride, uvNeed = uvStride * ((Height + 1) / 2 - 1) + 2 * ((Width + 1) / 2);
        if (Uv != null && Uv.Length < uvNeed)
          throw new TareException(Status.InvalidArgument, "pixels: Uv holds " + Uv.Length + " bytes, " + uvNeed + " needed");
        if (Uv == null) need = stride * Height + uvNeed;
      }
      else if (Uv != null)
        throw new TareException(Status.InvalidArgument, "pixels: Uv is only for NV12 and NV21");
      if (Data.Length < need)
        throw new TareException(Status.InvalidArgument, "pixels: Data holds " + Data.Length + " bytes, " + need + " needed");
    }
  }

  /// <summary>tare_image_options; the defaults are tare_image_options_init's (the tare CLI's pipeline: central crop
  /// 0.875, Pillow's bilinear resize, RGB, mean = std = 127.5).</summary>
  public sealed unsafe class ImageOptions
  {
    public ImageOptions()
    {
      Native.tare_image_options o;
      Native.tare_image_options_init(&o);
      Rotation = o.rotation;
      CropFraction = o.crop_fraction;
      Resize = o.resize;
      Channels = o.channels;
      for (int c = 0; c < 3; c++)
      {
        Mean[c] = o.mean[c];
        Std[c] = o.std[c];
      }
    }

    /// <summary>Clockwise turn, applied first.</summary>
    public Rotation Rotation { get; set; }
    /// <summary>tf.image.central_crop's fraction in (0, 1], used when CropWidth is 0.</summary>
    public double CropFraction { get; set; }
    public int CropX { get; set; }
    public int CropY { get; set; }
    public int CropWidth { get; set; }
    public int CropHeight { get; set; }
    public ResizeFilter Resize { get; set; }
    public ChannelOrder Channels { get; set; }
    /// <summary>Per tensor channel: value = (pixel - Mean[c]) / Std[c].</summary>
    public double[] Mean { get; } = new double[3];
    public double[] Std { get; } = new double[3];

    internal Native.tare_image_options ToNative()
    {
      Native.tare_image_options o;
      Native.tare_image_options_init(&o);
      o.rotation = Rotation;
      o.crop_fraction = CropFraction;
      o.crop_x = CropX;
      o.crop_y = CropY;
      o.crop_width = CropWidth;
      o.crop_height = CropHeight;
      o.resize = Resize;
      o.channels = Channels;
      for (int c = 0; c < 3; c++)
      {
        o.mean[c] = Mean[c];
        o.std[c] = Std[c];
      }
      return o;
    }
  }

  /// <summary>The pixel functions of tare.h: tare_image_preprocess.</summary>
  public static unsafe class ImagePreprocessing
  {
    /// <summary>Preprocesses pixels into output (exactly the tensor's bytes) for a [1, H, W, 3] tensor of dtype
    /// Float32, Int8 (quantized) or UInt8 (quantized; not quantized, it receives the pixels themselves).</summary>
    public static void Preprocess(Pixels pixels, ImageOptions options, DType dtype, int height, int width,
                                  byte[] output, bool quantized = false, float scale = 0, long zeroPoint = 0)
    {
      if (pixels == null) throw new ArgumentNullException(nameof(pixels));
      if (output == null) throw new ArgumentNullException(nameof(output));
      Native.tare_tensor_info t;
      Native.tare_tensor_info_init(&t);
      t.dtype = dtype;
      t.rank = 4;
      t.shape[0] = 1;
      t.shape[1] = height;
      t.shape[2] = width;
      t.shape[3] = 3;
      t.quantized = quantized ? 1 : 0;
      t.scale = scale;
      t.zero_point = zeroPoint;
      Native.tare_image_options o = (options ?? new ImageOptions()).ToNative();
      pixels.CheckLengths();
      fixed (byte* d = pixels.Data)
      fixed (byte* uv = pixels.Uv)
      fixed (byte* outp = output)
      {
        Native.tare_pixels p = ToNative(pixels, d, uv);
        TareException.Check(Native.tare_image_preprocess(&p, &o, &t, outp, (UIntPtr)output.Length));
      }
    }

    /// <summary>The C struct over the pinned arrays of `pixels`.</summary>
    internal static Native.tare_pixels ToNative(Pixels pixels, byte* data, byte* uv)
    {
      Native.tare_pixels p;
      Native.tare_pixels_init(&p);
      p.format = pixels.Format;
      p.width = pixels.Width;
      p.height = pixels.Height;
      p.stride = (UIntPtr)(ulong)Math.Max(0, pixels.Stride);
      p.uv_stride = (UIntPtr)(ulong)Math.Max(0, pixels.UvStride);
      p.data = data;
      p.uv = uv;
      return p;
    }
  }

  /// <summary>A JPEG or PNG decoded by libtare_image (tare/tare_image.h): 8-bit RGB, packed rows, as Pillow's
  /// convert('RGB').</summary>
  public sealed unsafe class Image
  {
    private Image(int width, int height, byte[] rgb)
    {
      Width = width;
      Height = height;
      Rgb = rgb;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Rgb { get; }

    /// <summary>The pixels, for Session.SetInputImage and ImagePreprocessing.Preprocess.</summary>
    public Pixels ToPixels() => new Pixels(PixelFormat.Rgb8, Width, Height, Rgb);

    /// <summary>Decodes a JPEG or PNG file (tare_image_load_file).</summary>
    public static Image Load(string path)
    {
      if (path == null) throw new ArgumentNullException(nameof(path));
      byte[] p = Utf8.Encode(path);
      return Decode((ref Native.tare_pixels px) =>
      {
        fixed (Native.tare_pixels* q = &px) return NativeImage.tare_image_load_file(p, q);
      });
    }

    /// <summary>Decodes a JPEG or PNG in memory (tare_image_load_memory).</summary>
    public static Image Load(byte[] data)
    {
      if (data == null) throw new ArgumentNullException(nameof(data));
      return Decode((ref Native.tare_pixels px) =>
      {
        fixed (byte* d = data)
        fixed (Native.tare_pixels* q = &px)
          return NativeImage.tare_image_load_memory(d, (UIntPtr)data.Length, q);
      });
    }

    private delegate Status Loader(ref Native.tare_pixels pixels);

    private static Image Decode(Loader load)
    {
      Native.tare_pixels px;
      Native.tare_pixels_init(&px);
      Status st = load(ref px);
      if (st != Status.Ok) throw new TareException(st, Utf8.Decode(NativeImage.tare_image_last_error()));
      try
      {
        var rgb = new byte[(long)px.width * px.height * 3];
        Marshal.Copy((IntPtr)px.data, rgb, 0, rgb.Length);
        return new Image(px.width, px.height, rgb);
      }
      finally
      {
        NativeImage.tare_image_free(&px);
      }
    }
  }

  /// <summary>P/Invoke declarations of libtare_image (include/tare/tare_image.h).</summary>
  internal static unsafe class NativeImage
  {
    internal const string Lib = "tare_image";

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_image_load_file(byte[] path, Native.tare_pixels* pixels);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern Status tare_image_load_memory(void* data, UIntPtr size, Native.tare_pixels* pixels);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern void tare_image_free(Native.tare_pixels* pixels);
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    internal static extern IntPtr tare_image_last_error();
  }
}

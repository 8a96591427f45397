// Tests of the C# bindings: run with `test.sh LIB_DIR` (Mono) or any .NET host.  Exits non-zero on any failure.
//   Tests.exe [--header PATH/tare.h] [--header-only] [--data DIR]
// Real data: $TARE_DATA (default ../shared/data beside the checkout); data tests skip visibly without it, and fail
// instead when TARE_REQUIRE_DATA=1.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Tare.Tests
{
  internal static class Program
  {
    private static int failures, checks, skips;
    private static string currentTest = "";
    private static string dataDir;
    private static bool requireData;

    private static void Check(bool ok, string what)
    {
      checks++;
      if (ok) return;
      failures++;
      Console.WriteLine("  FAILED [" + currentTest + "]: " + what);
    }

    private static void Skip(string why)
    {
      if (requireData)
      {
        failures++;
        Console.WriteLine("  FAILED [" + currentTest + "]: " + why + " (TARE_REQUIRE_DATA=1)");
        return;
      }
      skips++;
      Console.WriteLine("  SKIPPED [" + currentTest + "]: " + why);
    }

    // A delegate of `delegateType` calling the static method `m` with its arguments as they are (e.g. an IntPtr for
    // a T* parameter: both are native ints in IL).
    private static Delegate Thunk(MethodInfo m, Type delegateType, params Type[] args)
    {
      var dm = new System.Reflection.Emit.DynamicMethod("thunk_" + m.Name, typeof(void), args, typeof(Program).Module,
                                                        true);
      System.Reflection.Emit.ILGenerator il = dm.GetILGenerator();
      for (short i = 0; i < args.Length; i++) il.Emit(System.Reflection.Emit.OpCodes.Ldarg, i);
      il.Emit(System.Reflection.Emit.OpCodes.Call, m);
      il.Emit(System.Reflection.Emit.OpCodes.Ret);
      return dm.CreateDelegate(delegateType);
    }

    private static void Test(string name, Action body)
    {
      currentTest = name;
      int before = failures, skipped = skips;
      var sw = Stopwatch.StartNew();
      try
      {
        body();
      }
      catch (Exception e)
      {
        failures++;
        Console.WriteLine("  FAILED [" + name + "]: unexpected " + e);
      }
      string verdict = failures != before ? "FAIL " : skips != skipped ? "SKIP " : "ok   ";
      Console.WriteLine(verdict + name + " (" + sw.ElapsedMilliseconds + " ms)");
    }

    private static T Throws<T>(Action a, string what) where T : Exception
    {
      try
      {
        a();
      }
      catch (T e)
      {
        return e;
      }
      catch (Exception e)
      {
        Check(false, what + ": threw " + e.GetType().Name + " (" + e.Message + "), expected " + typeof(T).Name);
        return null;
      }
      Check(false, what + ": did not throw " + typeof(T).Name);
      return null;
    }

    private static TareException ThrowsTare(Status status, Action a, string what)
    {
      TareException e = Throws<TareException>(a, what);
      if (e != null)
      {
        Check(e.Status == status, what + ": status " + e.Status + ", expected " + status);
        Check(!string.IsNullOrEmpty(e.NativeMessage), what + ": empty message");
        Check(e.Message.StartsWith(Library.StatusName(status)), what + ": message '" + e.Message + "'");
      }
      return e;
    }

    private static string Data(string rel) => Path.Combine(dataDir, rel);

    private static bool HaveData(params string[] rel)
    {
      foreach (string r in rel)
        if (!File.Exists(Data(r)))
        {
          Skip("missing " + Data(r));
          return false;
        }
      return true;
    }

    private static float[] ReadFloats(string path)
    {
      byte[] b = File.ReadAllBytes(path);
      var f = new float[b.Length / 4];
      Buffer.BlockCopy(b, 0, f, 0, f.Length * 4);
      return f;
    }

    private static int ArgMax(float[] v)
    {
      int best = 0;
      for (int i = 1; i < v.Length; i++)
        if (v[i] > v[best]) best = i;
      return best;
    }

    private static int[] TopK(float[] v, int k) =>
      Enumerable.Range(0, v.Length).OrderByDescending(i => v[i]).Take(k).ToArray();

    private static float MaxAbsDiff(float[] a, float[] b)
    {
      float m = 0;
      for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
      return m;
    }

    private static float MaxAbs(float[] a) => a.Max(x => Math.Abs(x));

    private static float[] RunModel(Model m, float[] input)
    {
      using (Session s = m.CreateSession())
      {
        s.SetInput(0, input);
        s.Run();
        return s.GetOutput<float>(0);
      }
    }

    private const string V1 = "models/mobilenet_v1_0.25_224.tflite";
    private const string In0 = "ref/mobilenet_v1_0.25_224/in_img0.bin";
    private const string In1 = "ref/mobilenet_v1_0.25_224/in_img1.bin";
    private const string Out0 = "ref/mobilenet_v1_0.25_224/out_img0.0.bin";

    private static int Main(string[] args)
    {
      string header = null;
      bool headerOnly = false;
      string root = Path.GetFullPath(Path.Combine(AppDomain.CurrentDomain.BaseDirectory, "..", "..", ".."));
      dataDir = Environment.GetEnvironmentVariable("TARE_DATA");
      for (int i = 0; i < args.Length; i++)
      {
        if (args[i] == "--header" && i + 1 < args.Length) header = args[++i];
        else if (args[i] == "--data" && i + 1 < args.Length) dataDir = args[++i];
        else if (args[i] == "--header-only") headerOnly = true;
        else
        {
          Console.Error.WriteLine("usage: Tests.exe [--header tare.h] [--header-only] [--data DIR]");
          return 2;
        }
      }
      header = header ?? Path.Combine(root, "include", "tare", "tare.h");
      if (string.IsNullOrEmpty(dataDir)) dataDir = Path.Combine(root, "..", "shared", "data");
      requireData = Environment.GetEnvironmentVariable("TARE_REQUIRE_DATA") == "1";

      Test("header drift: tare.h vs Tare.Native", () =>
      {
        List<string> errs = HeaderCheck.Run(header, typeof(Library).Assembly, Console.Out);
        foreach (string e in errs) Check(false, e);
      });
      if (headerOnly) return Summary();

      Test("header drift: the check catches a new function, a changed signature, a new field or enum value", () =>
      {
        string text = File.ReadAllText(header);
        string tmp = Path.Combine(Path.GetTempPath(), "tare_cs_drift_" + Process.GetCurrentProcess().Id + ".h");
        var edits = new[]
        {
          new[] { "TARE_API void tare_free(void* data);",
                  "TARE_API void tare_free(void* data);\nTARE_API tare_status tare_new_thing(const tare_model* m,\n" +
                  "    uint32_t index,\n    double* value);" },
          new[] { "TARE_API tare_status tare_session_run(tare_session* session);",
                  "TARE_API tare_status tare_session_run(tare_session* session, int flags);" },
          new[] { "TARE_API int tare_abi_version(void);", "TARE_API uint32_t tare_abi_version(void);" },
          new[] { "  uint32_t max_iterations;", "  uint32_t max_iterations;\n  float tolerance;\n" },
          new[] { "  int batch; ", "  uint32_t batch; " },
          new[] { "TARE_ERROR_DEVICE_LOST = 11", "TARE_ERROR_DEVICE_LOST = 11,\n  TARE_ERROR_NEW = 12" },
          new[] { "#define tare_bft_report_init(p) tare_bft_report_init_sized((p), sizeof(*(p)))\n", "" },
          new[] { "tare_bft_report_init_sized((p), sizeof(*(p)))", "tare_bft_report_init_sized((p), 64)" },
          new[] { "TARE_API void tare_free(void* data);",
                  "TARE_API void tare_free(void* data);\nTARE_API void tare_new_init_sized(tare_bft_report* r, " +
                  "size_t size);\n#define tare_new_init(p) tare_new_init_sized((p), sizeof(*(p)))" },
        };
        try
        {
          foreach (string[] e in edits)
          {
            Check(text.Contains(e[0]), "tare.h no longer contains '" + e[0] + "': update this test");
            File.WriteAllText(tmp, text.Replace(e[0], e[1]));
            List<string> errs = HeaderCheck.Run(tmp, typeof(Library).Assembly, TextWriter.Null);
            Check(errs.Count > 0, "the check missed the edit '" + e[1] + "'");
          }
        }
        finally
        {
          File.Delete(tmp);
        }
      });

      Test("library: version, ABI, status names", () =>
      {
        Check(System.Text.RegularExpressions.Regex.IsMatch(Library.Version, @"^\d+\.\d+\.\d+"),
              "version '" + Library.Version + "'");
        Check(Library.AbiVersion == Library.BindingAbiVersion, "ABI " + Library.AbiVersion);
        Check(Library.StatusName(Status.InvalidModel) == "TARE_ERROR_INVALID_MODEL", "status name");
        Check(Library.StatusName(Status.Ok) == "TARE_OK", "TARE_OK name");
      });

      Test("init: Native.tare_X_init(p) writes sizeof(T) bytes, _sized(p, n) no more than n (canary bytes after)", () =>
      {
        const BindingFlags F = BindingFlags.NonPublic | BindingFlags.Static;
        Type native = typeof(Library).Assembly.GetType("Tare.Native", true);
        int count = 0;
        foreach (MethodInfo m in native.GetMethods(F))
        {
          if (!m.Name.EndsWith("_init") || (m.Attributes & MethodAttributes.PinvokeImpl) != 0) continue;
          Type ptr = m.GetParameters()[0].ParameterType;
          MethodInfo sized = native.GetMethod(m.Name + "_sized", F);
          int size = Marshal.SizeOf(ptr.GetElementType()), cut = size / 2 & ~7;
          IntPtr buf = Marshal.AllocHGlobal(size + 64);
          try
          {
            Func<int, bool> intact = from =>
            {
              for (int i = from; i < size + 64; i++)
                if (Marshal.ReadByte(buf, i) != 0xA5) return false;
              return true;
            };
            // The methods take T*: call them through IL thunks taking IntPtr (reflection cannot pass pointers on
            // every runtime).
            var init = (Action<IntPtr>)Thunk(m, typeof(Action<IntPtr>), typeof(IntPtr));
            var initSized = (Action<IntPtr, UIntPtr>)Thunk(sized, typeof(Action<IntPtr, UIntPtr>), typeof(IntPtr),
                                                           typeof(UIntPtr));
            Action<Action> run = call =>
            {
              for (int i = 0; i < size + 64; i++) Marshal.WriteByte(buf, i, 0xA5);
              call();
            };
            run(() => init(buf));
            Check((long)Marshal.ReadIntPtr(buf) == size && intact(size), m.Name + ": struct_size or bytes past it");
            run(() => initSized(buf, (UIntPtr)cut));
            Check((long)Marshal.ReadIntPtr(buf) == cut && intact(cut), m.Name + "_sized(p, " + cut + ")");
            run(() => initSized(buf, (UIntPtr)(uint)(IntPtr.Size - 1)));
            Check(intact(0), m.Name + "_sized(p, " + (IntPtr.Size - 1) + ") wrote");
          }
          finally
          {
            Marshal.FreeHGlobal(buf);
          }
          count++;
        }
        Check(count == 20, count + " init methods in Native (one per *_init_sized of tare.h)");
      });

      Test("options: defaults from the *_init functions match tare.h's documentation", () =>
      {
        var co = new ContextOptions();
        Check(co.DeviceIndex == -1 && co.DeviceName == null && co.PipelineCache == null, "context options");
        var so = new SessionOptions();
        Check(so.Precision == Precision.Fp32 && so.Batch == 0 && !so.Profiling, "session options");
        var qo = new QuantizeOptions();
        Check(!qo.PerChannel && qo.DropDeadChannels && qo.CalibrationBatch == 8 && qo.InputType == DType.Float32 &&
              qo.OutputType == DType.Float32 && qo.Progress == null && qo.Ranges == RangeMethod.MinMax &&
              qo.Percentile == 99.99, "quantize options");
        var io = new IbcOptions();
        Check(!io.PreActivation && io.Heads == IbcHeads.Correct && io.Guard && io.GuardImages == -1, "ibc options");
        Check(new AnalyzeOptions().Batch == 8, "analyze options");
        var bo = new BftOptions();
        Check(bo.Rates.Length == 4 && Math.Abs(bo.Rates[0] - 1e-3f) < 1e-9 && Math.Abs(bo.Rates[3] - 1e-6f) < 1e-12,
              "bft rates " + string.Join(",", bo.Rates));
        Check(bo.MiniEpochsPerRate == 16 && bo.ImagesPerMiniEpoch == 0 && bo.Batch == 16 && bo.Seed == 1 &&
              bo.MemoryBudget == 0, "bft options");
        var eo = new EqualizeOptions();
        Check(!eo.ReplaceRelu6 && eo.MaxIterations == 500, "equalize options");
      });

      Test("devices and context", () =>
      {
        DeviceInfo[] devs = Library.Devices;
        Check(devs.Length >= 1, "no Vulkan device");
        foreach (DeviceInfo d in devs)
        {
          Console.WriteLine("  device: " + d + ", subgroup " + d.SubgroupSize + ", fp16 " + d.Fp16Arithmetic);
          Check(d.Name.Length > 0, "empty device name");
          Check(d.ApiVersion >= (1u << 22 | 1u << 12), "Vulkan < 1.1");
        }
        Throws<ArgumentOutOfRangeException>(() => Library.GetDeviceInfo(-1), "negative device index");
        ThrowsTare(Status.InvalidArgument, () => Library.GetDeviceInfo(devs.Length), "device index out of range");
        using (var ctx = new Context())
        {
          Check(ctx.Device.Name.Length > 0, "context device name");
          Check(devs.Any(d => d.Name == ctx.Device.Name), "context device among the devices");
          Check(ctx.ValidationMessages == 0, "validation messages on a fresh context");
        }
        ThrowsTare(Status.InvalidArgument, () => new Context(new ContextOptions { DeviceIndex = devs.Length }),
                   "context on a device that does not exist");
        ThrowsTare(Status.InvalidArgument,
                   () => new Context(new ContextOptions { DeviceName = "no such device \u00e9" }),
                   "context on a device name that matches nothing");
      });

      Test("pixels: hand-computed resizes, rotation, YUV, normalization, quantization and refusals", () =>
      {
        var ramp = new Pixels(PixelFormat.Rgb8, 2, 1, new byte[] { 0, 0, 0, 255, 255, 255 });
        var o = new ImageOptions { CropFraction = 1.0 };
        var u8 = new byte[12];
        // Pillow's BILINEAR 2 -> 4: 0, 64 (63.75), 191 (191.25), 255; NEAREST: 0, 0, 255, 255.
        ImagePreprocessing.Preprocess(ramp, o, DType.UInt8, 1, 4, u8);
        Check(u8.SequenceEqual(new byte[] { 0, 0, 0, 64, 64, 64, 191, 191, 191, 255, 255, 255 }), "bilinear");
        o.Resize = ResizeFilter.Nearest;
        ImagePreprocessing.Preprocess(ramp, o, DType.UInt8, 1, 4, u8);
        Check(u8.SequenceEqual(new byte[] { 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255 }), "nearest");
        o.Rotation = Rotation.Rotate90;  // 2 x 1 turned clockwise: 1 x 2, the left pixel on top
        var turned = new byte[6];
        ImagePreprocessing.Preprocess(ramp, o, DType.UInt8, 2, 1, turned);
        Check(turned.SequenceEqual(new byte[] { 0, 0, 0, 255, 255, 255 }), "rotation");
        var d = new ImageOptions { CropFraction = 1.0 };
        var f = new byte[24];
        ImagePreprocessing.Preprocess(ramp, d, DType.Float32, 1, 2, f);
        var v = new float[6];
        Buffer.BlockCopy(f, 0, v, 0, 24);
        Check(v.SequenceEqual(new float[] { -1, -1, -1, 1, 1, 1 }), "float: " + string.Join(",", v));
        var q = new byte[6];  // int8, scale 1/128, zero point -1: -128 (clamped), 127
        ImagePreprocessing.Preprocess(ramp, d, DType.Int8, 1, 2, q, true, 1.0f / 128, -1);
        Check(q.SequenceEqual(new byte[] { 128, 128, 128, 127, 127, 127 }), "int8");
        var nv12 = new Pixels(PixelFormat.Nv12, 2, 1, new byte[] { 100, 100, 255, 128 });
        ImagePreprocessing.Preprocess(nv12, d, DType.UInt8, 1, 2, turned);
        Check(turned.SequenceEqual(new byte[] { 100, 56, 255, 100, 56, 255 }), "NV12 (BT.601 full range)");
        ThrowsTare(Status.InvalidArgument,
                   () => ImagePreprocessing.Preprocess(new Pixels(PixelFormat.Rgb8, 2, 2, new byte[10]), d, DType.UInt8, 2, 2,
                                                       new byte[12]), "short buffer");
        ThrowsTare(Status.InvalidArgument, () => ImagePreprocessing.Preprocess(ramp, new ImageOptions { CropWidth = 3,
                                                                                  CropHeight = 1 }, DType.UInt8, 1, 2, turned), "crop box");
        ThrowsTare(Status.InvalidArgument, () => ImagePreprocessing.Preprocess(ramp, d, DType.UInt8, 1, 2, new byte[5]), "out size");
      });

      Test("pixels: a JPEG decoded by libtare_image and preprocessed equals Pillow's reference input", () =>
      {
        string jpeg = Data("images/imagenet_sample_1000/n01440764_tench.JPEG");
        string reference = Data("ref/mobilenet_v2_1.0_224_float/in_img1.bin");  // Pillow's preprocessing of it
        if (!HaveData("images/imagenet_sample_1000/n01440764_tench.JPEG", "ref/mobilenet_v2_1.0_224_float/in_img1.bin"))
          return;
        Image image = Image.Load(jpeg);
        Check(image.Width == 500 && image.Height == 375 && image.Rgb.Length == 500 * 375 * 3, "decoded size");
        var input = new byte[224 * 224 * 3 * 4];
        ImagePreprocessing.Preprocess(image.ToPixels(), new ImageOptions(), DType.Float32, 224, 224, input);
        Check(input.SequenceEqual(File.ReadAllBytes(reference)), "the preprocessed tench differs from Pillow's");
        byte[] bytes = File.ReadAllBytes(jpeg);
        Check(Image.Load(bytes).Rgb.SequenceEqual(image.Rgb), "load from memory");
        TareException e = ThrowsTare(Status.InvalidArgument, () => Image.Load(bytes.Take(bytes.Length / 3).ToArray()),
                                     "truncated JPEG");
        Check(e == null || e.NativeMessage.Contains("truncated or corrupt"), "truncated JPEG message");
        ThrowsTare(Status.Io, () => Image.Load("/nonexistent.jpg"), "missing file");
      });

      Test("error paths: TareException with the status and the library's message", () =>
      {
        using (var ctx = new Context())
        {
          TareException e = ThrowsTare(Status.Io, () => ctx.LoadModel("/nonexistent/model.tflite"), "missing file");
          if (e != null) Console.WriteLine("  message: " + e.Message);
          ThrowsTare(Status.InvalidModel, () => ctx.LoadModel(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }),
                     "garbage bytes");
          ThrowsTare(Status.InvalidModel, () => ctx.LoadModel(new byte[0]), "empty buffer");
          Throws<ArgumentNullException>(() => ctx.LoadModel((string)null), "null path");
        }
      });

      Test("inference: MobileNet v1 0.25 against TFLite's output", () =>
      {
        if (!HaveData(V1, In0, Out0)) return;
        float[] input = ReadFloats(Data(In0)), reference = ReadFloats(Data(Out0));
        using (var ctx = new Context())
        using (Model m = ctx.LoadModel(Data(V1)))
        {
          Check(m.InputCount == 1 && m.OutputCount == 1, "one input, one output");
          TensorInfo ti = m.GetInput(0), to = m.GetOutput(0);
          Check(ti.DType == DType.Float32 && ti.Shape.SequenceEqual(new[] { 1, 224, 224, 3 }), "input " + ti);
          Check(ti.ByteSize == 224 * 224 * 3 * 4 && ti.ElementCount == 224 * 224 * 3, "input bytes");
          Check(to.Shape.SequenceEqual(new[] { 1, 1001 }), "output " + to);
          Check(m.FloatsPerImage == 224 * 224 * 3, "floats per image");
          OpInfo[] ops = m.Ops;
          Check(ops.Count(o => o.Type == "CONV_2D") == 15 && ops.Count(o => o.Type == "DEPTHWISE_CONV_2D") == 13,
                "op types: " + string.Join(" ", ops.Select(o => o.Type)));
          Check(ops.Where(o => o.Type == "CONV_2D").All(o => o.Macs > 0 && o.Inputs.Length >= 2), "conv op info");
          int nt = m.TensorCount;
          Check(nt > 50 && ops.All(o => o.Inputs.All(i => i >= -1 && i < nt)), "tensor indices");
          Check(m.GetTensor(ops[0].Inputs[0]).Name == ti.Name, "first op reads the input");
          ThrowsTare(Status.InvalidArgument, () => m.GetInput(1), "input index out of range");
          Throws<ArgumentOutOfRangeException>(() => m.GetOp(-1), "negative op index");

          using (Session s = m.CreateSession(new SessionOptions { Profiling = true }))
          {
            Check(s.GetInput(0).ByteSize == ti.ByteSize, "session input info");
            ThrowsTare(Status.InvalidArgument, () => s.SetInput(0, new float[10]), "wrong input size");
            s.SetInput(0, input);
            s.Run();
            float[] output = s.GetOutput<float>(0);
            float err = MaxAbsDiff(output, reference), mx = MaxAbs(reference);
            Console.WriteLine("  max |err| " + err + " (max |ref| " + mx + "), top-1 " + ArgMax(output));
            Check(output.Length == 1001 && err <= 1e-4f * mx, "output differs from TFLite: " + err);
            Check(ArgMax(output) == 473, "top-1 " + ArgMax(output) + ", expected 473");
            ThrowsTare(Status.InvalidArgument, () => s.GetOutput(0, new float[1000]), "wrong output size");
            var span = new Span<float>(new float[1001]);
            s.GetOutput(0, span);
            Check(span[473] == output[473], "output into a span");
            MemoryReport mem = s.Memory;
            Check(mem.ConstantBytes > 400000 && mem.ActivationBytes > 0 && mem.ActivationBytes <= mem.UnplannedBytes,
                  "memory report");
            RunTiming t = s.LastRunTiming;
            Check(t.RunMs > 0 && t.FenceWaitMs <= t.RunMs && t.SubmitMs <= t.RunMs, "run timing");
            PipelineReport pr = s.Pipelines;
            Check(pr.Pipelines > 0 && pr.Shaders > 0 && pr.Shaders <= pr.Pipelines && pr.Compiled <= pr.Pipelines,
                  "pipeline report: " + pr.Pipelines + " pipelines of " + pr.Shaders + " shaders");
            ProfileEntry[] prof = s.Profile();
            if (ctx.Device.Timestamps)
              Check(prof.Length > 0 && prof.Any(p => p.Name.StartsWith("CONV_2D")) &&
                    prof.All(p => p.Milliseconds >= 0),
                    "profile of " + prof.Length + " entries");
          }
          // From memory, through a byte array and a span; the same output.
          byte[] bytes = File.ReadAllBytes(Data(V1));
          using (Model m2 = ctx.LoadModel(new ReadOnlySpan<byte>(bytes)))
            Check(MaxAbsDiff(RunModel(m2, input), reference) <= 1e-4f * MaxAbs(reference), "model from memory");
          // The pipeline cache round-trips into a new context.
          byte[] cache = ctx.GetPipelineCache();
          Check(cache.Length > 0, "pipeline cache");
          using (var ctx2 = new Context(new ContextOptions { PipelineCache = cache }))
          using (Model m3 = ctx2.LoadModel(bytes))
            Check(ArgMax(RunModel(m3, input)) == 473, "context with a pipeline cache");
          Check(ctx.ValidationMessages == 0, "validation messages: " + ctx.ValidationMessages);
        }
      });

      Test("handles may be released in any order", () =>
      {
        if (!HaveData(V1, In0)) return;
        float[] input = ReadFloats(Data(In0));
        Session s;
        using (var ctx = new Context())
        using (Model m = ctx.LoadModel(Data(V1)))
          s = m.CreateSession();
        s.SetInput(0, input);  // the session keeps its model and context alive
        s.Run();
        Check(ArgMax(s.GetOutput<float>(0)) == 473, "session outlives its model and context");
        s.Dispose();
        s.Dispose();  // twice is harmless
        Throws<ObjectDisposedException>(() => s.Run(), "run after dispose");
      });

      Test("quantize, IBC, BFT, equalize, analyze, export", () =>
      {
        if (!HaveData(V1, In0, In1, Out0)) return;
        float[] img0 = ReadFloats(Data(In0)), img1 = ReadFloats(Data(In1)), reference = ReadFloats(Data(Out0));
        float[] images = img0.Concat(img1).ToArray();
        float[][] byIndex = { img0, img1 };
        using (var ctx = new Context())
        using (Model m = ctx.LoadModel(Data(V1)))
        {
          // Quantize from a callback, with progress.
          int calls = 0;
          var stages = new List<string>();
          var qo = new QuantizeOptions { CalibrationBatch = 2 };
          qo.Progress = (stage, done, total) =>
          {
            stages.Add(stage);
            return true;
          };
          QuantizeReport qr;
          Model q = m.Quantize(2, (i, dst) =>
          {
            calls++;
            new ReadOnlySpan<float>(byIndex[i]).CopyTo(dst);
          }, qo, out qr);
          using (q)
          {
            Check(calls == 2, "input callback calls: " + calls);
            Check(stages.Count > 0 && stages.All(x => x == "calibrate"), "progress stages " + string.Join(",", stages));
            Check(qr.QuantizedWeights == 28, "quantized weights " + qr.QuantizedWeights);
            Check(q.GetInput(0).DType == DType.Float32, "float I/O by default");
            int int8 = 0;
            for (int i = 0; i < q.TensorCount; i++)
            {
              TensorInfo t = q.GetTensor(i);
              if (t.DType == DType.Int8)
              {
                int8++;
                Check(t.Quantized && t.Scale > 0, "int8 tensor " + t.Name + " not quantized");
              }
            }
            Check(int8 > 50, "int8 tensors: " + int8);
            float[] qout = RunModel(q, img0);
            Console.WriteLine("  quantized top-1 " + ArgMax(qout) + ", max |q - float ref| " +
                              MaxAbsDiff(qout, reference));
            Check(TopK(reference, 5).Contains(ArgMax(qout)), "quantized top-1 outside the float top-5");

            // Cancellation from progress, an exception from the input callback, bad arguments.
            qo.Progress = (stage, done, total) => false;
            ThrowsTare(Status.Cancelled, () => m.Quantize(images, 2, qo), "cancelled by progress");
            qo.Progress = null;
            var boom = Throws<InvalidOperationException>(
              () => m.Quantize(2, (i, dst) => { throw new InvalidOperationException("boom"); }, qo),
              "exception in the input callback");
            Check(boom == null || boom.Message == "boom", "the callback's own exception comes back");
            Throws<ArgumentException>(() => m.Quantize(new float[100], 2), "too few floats");
            Throws<ArgumentNullException>(() => m.Quantize(2, null), "null input provider");
            ThrowsTare(Status.InvalidArgument, () => m.Quantize(images, 0), "no images");

            // From an array, the same model, byte for byte (deterministic calibration).
            using (Model q2 = m.Quantize(images, 2, new QuantizeOptions { CalibrationBatch = 2 }))
              Check(q2.Export().SequenceEqual(q.Export()), "array and callback quantization agree");

            // Export to memory and file, reload.
            byte[] bytes = q.Export();
            Check(bytes.Length > 100000 && bytes[4] == 'T' && bytes[5] == 'F' && bytes[6] == 'L' && bytes[7] == '3',
                  "exported .tflite");
            using (Model back = ctx.LoadModel(bytes))
              Check(back.TensorCount == q.TensorCount && RunModel(back, img0).SequenceEqual(qout),
                    "reloaded model gives the same output");
            string file = Path.Combine(Path.GetTempPath(), "tare_cs_" + Process.GetCurrentProcess().Id + ".tflite");
            q.Export(file);
            using (Model back = ctx.LoadModel(file))
              Check(back.OpCount == q.OpCount, "reloaded from a file");
            File.Delete(file);
            ThrowsTare(Status.Io, () => q.Export("/nonexistent-dir/x.tflite"), "export to a bad path");

            // Iterative bias correction with diagnostics.
            var ibcStages = new List<int>();
            var io = new IbcOptions
            {
              Heads = IbcHeads.Keep,  // passed through; MobileNet has no raw head, so nothing changes
              Progress = (stage, done, total) =>
              {
                if (stage == "ibc") ibcStages.Add(done);
                return true;
              }
            };
            IbcReport ir;
            Diagnostics diag;
            Model c = m.CorrectBias(q, images, 2, io, out ir, out diag);
            using (c)
            using (diag)
            {
              Check(ir.Layers == 28 && ir.Images == 2 && ir.Kept == 0,  // MobileNet's logits go through SOFTMAX
                    "IBC report: " + ir.Layers + " layers, " + ir.Images + " images, " + ir.Kept + " kept");
              Check(ibcStages.Count > 0, "IBC progress");
              Check(diag.LayerCount == 28, "diagnostics layers " + diag.LayerCount);
              double before = 0, after = 0;
              LayerInfo[] layers = diag.Layers;
              foreach (LayerInfo li in layers)
              {
                Check(li.HasAfter && li.Channels > 0, "layer " + li);
                Check(li.Op == "CONV_2D" || li.Op == "DEPTHWISE_CONV_2D" || li.Op == "FULLY_CONNECTED", "op " + li.Op);
                Check(new[] { "NONE", "RELU", "RELU6", "RELU_N1_TO_1" }.Contains(li.Activation),
                      "act " + li.Activation);
              }
              for (int l = 0; l < layers.Length; l++)
              {
                ErrorStats b = diag.Summary(l, ErrorPoint.PostActivation, ErrorStage.Before);
                ErrorStats a = diag.Summary(l, ErrorPoint.PostActivation, ErrorStage.After);
                ErrorStats ch = diag.Channel(l, layers[l].Channels - 1, ErrorPoint.PreActivation, ErrorStage.Before);
                Check(ch.Count == b.Count && b.Count > 0, "channel count");
                before += b.Mas;
                after += a.Mas;
              }
              Console.WriteLine("  IBC: mean per-layer MAS " + before / layers.Length + " -> " + after / layers.Length);
              Check(after < 0.5 * before, "IBC did not halve the mean activation shift");
              ThrowsTare(Status.InvalidArgument, () => diag.GetLayer(28), "layer out of range");
              string dir = Path.Combine(Path.GetTempPath(), "tare_cs_diag_" + Process.GetCurrentProcess().Id);
              diag.Write(dir);
              foreach (string f in new[] { "errors.csv", "summary.csv", "report.html" })
                Check(File.Exists(Path.Combine(dir, f)), "diagnostics file " + f);
              Directory.Delete(dir, true);

              // The callback form gives the same model; cancellation throws.
              using (Model c2 = m.CorrectBias(q, 2, (i, dst) => new ReadOnlySpan<float>(byIndex[i]).CopyTo(dst)))
                Check(c2.Export().SequenceEqual(c.Export()), "IBC from callbacks and from an array agree");
              io.Progress = (stage, done, total) => done < 3;
              ThrowsTare(Status.Cancelled, () => m.CorrectBias(q, images, 1, io), "IBC cancelled");
              ThrowsTare(Status.InvalidArgument, () => m.CorrectBias(m, images, 1), "IBC of a float model");

              // Analyze the quantized and corrected models.
              using (Diagnostics an = m.Analyze(q, c, images, 2, new AnalyzeOptions { Batch = 1 }))
              {
                ErrorStats b = an.Summary(27, ErrorPoint.PostActivation, ErrorStage.Before);
                ErrorStats a = an.Summary(27, ErrorPoint.PostActivation, ErrorStage.After);
                Check(a.Mas < b.Mas, "analyze: last layer MAS " + b.Mas + " -> " + a.Mas);
                Check(b.Count == 2, "analyze: values per channel " + b.Count);
              }
              using (Diagnostics an = m.Analyze(q, null, 1, (i, dst) => new ReadOnlySpan<float>(img0).CopyTo(dst)))
              {
                Check(!an.GetLayer(0).HasAfter, "analyze without a corrected model");
                ThrowsTare(Status.InvalidArgument, () => an.Summary(0, ErrorPoint.PostActivation, ErrorStage.After),
                           "no after stage");
                // The corrected model measured in as "bft": its errors as tare_analyze gives them for "after".
                m.Measure(an, ErrorStage.Bft, c, 1, (i, dst) => new ReadOnlySpan<float>(img0).CopyTo(dst));
                using (Diagnostics an1 = m.Analyze(q, c, 1, (i, dst) => new ReadOnlySpan<float>(img0).CopyTo(dst)))
                  Check(an.Summary(27, ErrorPoint.PostActivation, ErrorStage.Bft).Mas ==
                            an1.Summary(27, ErrorPoint.PostActivation, ErrorStage.After).Mas,
                        "measure: the BFT stage");
                an.Note("settings", "method", "ibc");
              }

              // Bias fine-tuning, tiny: 2 images, 1 rate, 1 mini-epoch.
              var losses = new List<double>();
              var bo = new BftOptions { Rates = new[] { 1e-3f }, MiniEpochsPerRate = 1, Batch = 2 };
              bo.OnLoss = (epoch, total, loss) =>
              {
                losses.Add(loss);
                return true;
              };
              BftReport br;
              using (Model t = m.FineTuneBias(c, images, 2, bo, out br))
              {
                Console.WriteLine("  BFT: loss " + br.InitialLoss + " -> " + br.FinalLoss + ", " + br.WallMs + " ms");
                Check(br.Layers == 28 && br.MiniEpochs == 1 && br.Batch == 2, "BFT report");
                Check(losses.Count == 1 && Math.Abs(losses[0] - br.FinalLoss) <= 1e-9 * Math.Abs(br.FinalLoss) + 1e-12,
                      "loss callback: " + string.Join(",", losses));
                Check(br.TrainingBytes > 0 && br.InitialLoss > 0, "BFT report bytes/loss");
                using (Model back = ctx.LoadModel(t.Export()))
                  Check(TopK(reference, 5).Contains(ArgMax(RunModel(back, img0))), "fine-tuned model runs");
              }
              bo.OnLoss = (epoch, total, loss) => false;
              ThrowsTare(Status.Cancelled, () => m.FineTuneBias(q, images, 2, bo), "BFT cancelled");
              bo.OnLoss = null;
              bo.Rates = new float[9];
              ThrowsTare(Status.InvalidArgument, () => m.FineTuneBias(q, images, 2, bo), "BFT with 9 rates");
            }
          }

          // Equalization keeps the float function when RELU6 is kept (by an added MINIMUM, the default).
          EqualizeReport er, er6;
          using (Model e = m.Equalize(new EqualizeOptions(), out er))
          using (Model e6 = m.Equalize(new EqualizeOptions { ReplaceRelu6 = true }, out er6))
          {
            Console.WriteLine("  equalized pairs: " + er.Pairs + " (" + er.Relu6Clipped + " RELU6 kept), " + er6.Pairs +
                              " (" + er6.Relu6Replaced + " RELU6 replaced)");
            Check(er6.Pairs == er.Pairs && er6.Relu6Replaced == er.Relu6Clipped && er.Relu6Replaced == 0,
                  "equalize report");
            Check(MaxAbsDiff(RunModel(e, img0), reference) <= 2e-4f * MaxAbs(reference), "equalized model output");
          }
          Check(ctx.ValidationMessages == 0, "validation messages: " + ctx.ValidationMessages);
        }
      });

      return Summary();
    }

    private static int Summary()
    {
      Console.WriteLine(checks + " checks, " + failures + " failure(s), " + skips + " skipped test(s)");
      return failures == 0 ? 0 : 1;
    }
  }
}

// Classify: load a .tflite model and an image (JPEG/PNG, decoded by libtare_image and preprocessed by
// Session.SetInputImage with the tare CLI's defaults) or a raw float32 input file (little-endian, exactly the input's
// size), run it on the GPU and print the top-5 classes -- the C# twin of samples/classify.c.
//   mono Classify.exe MODEL.tflite IMAGE.jpg|INPUT.bin [LABELS.txt]
using System;
using System.IO;
using System.Linq;
using Tare;

internal static class Classify
{
  private static int Main(string[] args)
  {
    if (args.Length < 2 || args.Length > 3)
    {
      Console.Error.WriteLine("usage: Classify.exe MODEL.tflite IMAGE.jpg|INPUT.bin [LABELS.txt]");
      return 2;
    }
    try
    {
      string[] labels = args.Length == 3 ? File.ReadAllLines(args[2]) : new string[0];
      byte[] raw = File.ReadAllBytes(args[1]);
      var input = new float[raw.Length / 4];
      Buffer.BlockCopy(raw, 0, input, 0, input.Length * 4);

      using (var context = new Context())
      using (Model model = context.LoadModel(args[0]))
      using (Session session = model.CreateSession())
      {
        TensorInfo info = model.GetInput(0);
        bool isImage = (raw.Length >= 3 && raw[0] == 0xFF && raw[1] == 0xD8 && raw[2] == 0xFF) ||
                       (raw.Length >= 8 && raw[0] == 0x89 && raw[1] == (byte)'P' && raw[2] == (byte)'N' && raw[3] == (byte)'G');
        if (isImage)
          session.SetInputImage(0, Image.Load(raw).ToPixels());
        else if (info.DType != DType.Float32 || raw.Length != info.ByteSize)
        {
          Console.Error.WriteLine("input " + info + " needs " + info.ByteSize + " bytes of float32; " + args[1] +
                                  " has " + raw.Length);
          return 1;
        }
        else
          session.SetInput(0, input);
        Console.WriteLine("device: " + context.Device);
        session.Run();
        float[] scores = session.GetOutput<float>(0);
        int rank = 1;
        foreach (int c in Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(5))
        {
          string label = c < labels.Length ? labels[c] : "";
          Console.WriteLine(string.Format("{0,2}. {1,4} {2,10:F6}  {3}", rank++, c, scores[c], label));
        }
      }
      return 0;
    }
    catch (TareException e)
    {
      Console.Error.WriteLine("tare: " + e.Message);
      return 1;
    }
    catch (IOException e)
    {
      Console.Error.WriteLine(e.Message);
      return 1;
    }
  }
}

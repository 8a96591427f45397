using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Tare
{
  /// <summary>A failing Tare call: the C status and the library's message (tare_last_error).</summary>
  public class TareException : Exception
  {
    public TareException(Status status, string message)
      : base(Library.StatusName(status) + ": " + message)
    {
      Status = status;
      NativeMessage = message;
    }

    /// <summary>The tare_status the C function returned.</summary>
    public Status Status { get; }

    /// <summary>tare_last_error() right after the failing call.</summary>
    public string NativeMessage { get; }

    /// <summary>Throws if status is not Ok; must be called on the thread of the failing call, right after it.</summary>
    internal static void Check(Status status)
    {
      if (status != Status.Ok) throw new TareException(status, Utf8.Decode(Native.tare_last_error()));
    }
  }

  /// <summary>UTF-8 conversions for the C strings of the API (netstandard2.0 has no PtrToStringUTF8).</summary>
  internal static unsafe class Utf8
  {
    /// <summary>A NUL-terminated UTF-8 copy of s, for const char* parameters.</summary>
    internal static byte[] Encode(string s)
    {
      if (s == null) throw new ArgumentNullException(nameof(s));
      if (s.IndexOf('\0') >= 0) throw new ArgumentException("string contains a NUL character", nameof(s));
      int n = Encoding.UTF8.GetByteCount(s);
      var bytes = new byte[n + 1];
      Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
      return bytes;
    }

    /// <summary>Decodes a NUL-terminated UTF-8 string; null for a NULL pointer.</summary>
    internal static string Decode(IntPtr p)
    {
      if (p == IntPtr.Zero) return null;
      byte* b = (byte*)p;
      int n = 0;
      while (b[n] != 0) n++;
      return Decode(b, n);
    }

    /// <summary>Decodes a char[max] field: up to the first NUL.</summary>
    internal static string FromFixed(byte* b, int max)
    {
      int n = 0;
      while (n < max && b[n] != 0) n++;
      return Decode(b, n);
    }

    private static string Decode(byte* b, int n)
    {
      if (n == 0) return string.Empty;
      var bytes = new byte[n];
      Marshal.Copy((IntPtr)b, bytes, 0, n);
      return Encoding.UTF8.GetString(bytes);
    }
  }
}

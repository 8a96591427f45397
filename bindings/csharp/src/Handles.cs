using System;
using System.Runtime.InteropServices;

namespace Tare
{
  // SafeHandles over the C handles: ReleaseHandle calls the matching tare_*_destroy.  The C API keeps parents alive
  // internally (a session its model, a model its context), so handles may be released in any order.

  /// <summary>Owns a tare_context*.</summary>
  public sealed class ContextHandle : SafeHandle
  {
    public ContextHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
      Native.tare_context_destroy(handle);
      return true;
    }
  }

  /// <summary>Owns a tare_model*.</summary>
  public sealed class ModelHandle : SafeHandle
  {
    public ModelHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
      Native.tare_model_destroy(handle);
      return true;
    }
  }

  /// <summary>Owns a tare_session*.</summary>
  public sealed class SessionHandle : SafeHandle
  {
    public SessionHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
      Native.tare_session_destroy(handle);
      return true;
    }
  }

  /// <summary>Owns a tare_diagnostics*.</summary>
  public sealed class DiagnosticsHandle : SafeHandle
  {
    public DiagnosticsHandle() : base(IntPtr.Zero, true) { }
    internal DiagnosticsHandle(IntPtr raw) : base(IntPtr.Zero, true) { SetHandle(raw); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
      Native.tare_diagnostics_destroy(handle);
      return true;
    }
  }
}

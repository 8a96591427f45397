using System;

namespace Tare
{
  /// <summary>Library-wide functions: version, status names, Vulkan devices.</summary>
  public static unsafe class Library
  {
    /// <summary>"MAJOR.MINOR.PATCH" of the loaded native library.</summary>
    public static string Version => Utf8.Decode(Native.tare_version());

    /// <summary>ABI version of the loaded native library.</summary>
    public static int AbiVersion => Native.tare_abi_version();

    /// <summary>ABI version these bindings were written for (TARE_ABI_VERSION of tare.h).</summary>
    public const int BindingAbiVersion = Native.AbiVersion;

    /// <summary>The fixed English name of a status, e.g. "TARE_ERROR_INVALID_MODEL".</summary>
    public static string StatusName(Status status) => Utf8.Decode(Native.tare_status_string(status));

    /// <summary>Number of Vulkan physical devices; throws TareException(NoVulkan) without Vulkan.</summary>
    public static int DeviceCount
    {
      get
      {
        uint n;
        TareException.Check(Native.tare_device_count(out n));
        return (int)n;
      }
    }

    /// <summary>Information on device `index` (Vulkan's enumeration order).</summary>
    public static DeviceInfo GetDeviceInfo(int index)
    {
      if (index < 0) throw new ArgumentOutOfRangeException(nameof(index));
      Native.tare_device_info info;
      Native.tare_device_info_init(&info);
      TareException.Check(Native.tare_device_get_info((uint)index, &info));
      return new DeviceInfo(&info);
    }

    /// <summary>Every Vulkan device.</summary>
    public static DeviceInfo[] Devices
    {
      get
      {
        var all = new DeviceInfo[DeviceCount];
        for (int i = 0; i < all.Length; i++) all[i] = GetDeviceInfo(i);
        return all;
      }
    }
  }

  /// <summary>tare_device_info: a Vulkan device's name, type and capabilities.</summary>
  public sealed unsafe class DeviceInfo
  {
    internal DeviceInfo(Native.tare_device_info* i)
    {
      Name = Utf8.FromFixed(i->name, 256);
      Type = i->type;
      VendorId = i->vendor_id;
      DeviceId = i->device_id;
      ApiVersion = i->api_version;
      Fp16Arithmetic = i->fp16_arithmetic != 0;
      Fp16Storage = i->fp16_storage != 0;
      Int8Storage = i->int8_storage != 0;
      Int8Arithmetic = i->int8_arithmetic != 0;
      IntegerDotProduct = i->integer_dot_product != 0;
      Int64 = i->int64 != 0;
      SubgroupSize = i->subgroup_size;
      SubgroupOperations = i->subgroup_operations;
      Timestamps = i->timestamps != 0;
      TimestampPeriodNs = i->timestamp_period_ns;
      MaxWorkgroupInvocations = i->max_workgroup_invocations;
      MaxSharedMemoryBytes = i->max_shared_memory_bytes;
      MaxStorageBufferRange = i->max_storage_buffer_range;
      DeviceLocalBytes = i->device_local_bytes;
    }

    public string Name { get; }
    public DeviceType Type { get; }
    public uint VendorId { get; }
    public uint DeviceId { get; }
    /// <summary>VK_MAKE_API_VERSION encoding; see ApiVersionString.</summary>
    public uint ApiVersion { get; }
    public string ApiVersionString =>
      ((ApiVersion >> 22) & 0x7f) + "." + ((ApiVersion >> 12) & 0x3ff) + "." + (ApiVersion & 0xfff);
    public bool Fp16Arithmetic { get; }
    public bool Fp16Storage { get; }
    public bool Int8Storage { get; }
    public bool Int8Arithmetic { get; }
    public bool IntegerDotProduct { get; }
    public bool Int64 { get; }
    public uint SubgroupSize { get; }
    public uint SubgroupOperations { get; }
    public bool Timestamps { get; }
    public float TimestampPeriodNs { get; }
    public uint MaxWorkgroupInvocations { get; }
    public uint MaxSharedMemoryBytes { get; }
    public ulong MaxStorageBufferRange { get; }
    public ulong DeviceLocalBytes { get; }

    public override string ToString() => Name + " (" + Type + ", Vulkan " + ApiVersionString + ")";
  }
}

// Header-drift check: parses include/tare/tare.h (every TARE_API function, multi-line declarations included, every
// struct, enum and callback typedef) and compares it with the P/Invoke layer of Tare.dll (Tare.Native), found by
// reflection: DllImport names, calling convention, parameter counts and types through a C -> C# type mapping, struct
// field names, types and offsets (computed from C's layout rules and compared with Marshal.OffsetOf/SizeOf), enum
// values, callback delegates.  Extra C# declarations that the header lacks fail too.  Function-like macros must all be
// init macros, `#define tare_X_init(p) tare_X_init_sized((p), sizeof(*(p)))` over a declared
// `void tare_X_init_sized(T* p, size_t size)`, each mirrored by a static, non-P/Invoke Native.tare_X_init(T* p)
// (Tests.cs checks that it passes the struct's size); the library exports no function under a macro's name, so it
// cannot be imported.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Tare.Tests
{
  internal sealed class CType
  {
    public string Base;   // "char", "tare_model", "uint32_t", ...
    public int Pointers;  // number of '*'
    public bool Const;
    public string Text;   // as written, normalized
    public override string ToString() => Text;
  }

  internal sealed class CDecl
  {
    public string Name;
    public CType Type;
    public string ArrayLength;  // null, or the text inside [] (a number or a #define)
  }

  internal sealed class CFunction
  {
    public string Name;
    public CType Return;
    public List<CDecl> Params = new List<CDecl>();
  }

  internal sealed class Header
  {
    public readonly Dictionary<string, long> Defines = new Dictionary<string, long>();
    public readonly Dictionary<string, List<KeyValuePair<string, long>>> Enums =
      new Dictionary<string, List<KeyValuePair<string, long>>>();
    public readonly Dictionary<string, List<CDecl>> Structs = new Dictionary<string, List<CDecl>>();
    public readonly HashSet<string> Opaque = new HashSet<string>();
    public readonly Dictionary<string, CFunction> Callbacks = new Dictionary<string, CFunction>();
    public readonly List<CFunction> Functions = new List<CFunction>();
    public int ApiMarkers;  // occurrences of TARE_API outside preprocessor lines
    // Function-like macros: name -> (parameters, replacement).
    public readonly Dictionary<string, KeyValuePair<string, string>> Macros =
      new Dictionary<string, KeyValuePair<string, string>>();

    public static Header Parse(string text)
    {
      var h = new Header();
      text = Regex.Replace(text, @"/\*.*?\*/", " ", RegexOptions.Singleline);
      text = Regex.Replace(text, @"//[^\n]*", " ");
      text = Regex.Replace(text, @"\\\r?\n", " ");  // line continuations
      var body = new List<string>();
      foreach (string raw in text.Split('\n'))
      {
        string line = raw.Trim();
        if (line.StartsWith("#"))
        {
          Match d = Regex.Match(line, @"^#\s*define\s+(\w+)\s+\(?(-?\d+)\)?\s*$");
          if (d.Success) h.Defines[d.Groups[1].Value] = long.Parse(d.Groups[2].Value);
          Match fm = Regex.Match(line, @"^#\s*define\s+(\w+)\(([^)]*)\)\s*(.*)$");
          if (fm.Success)
            h.Macros.Add(fm.Groups[1].Value, new KeyValuePair<string, string>(fm.Groups[2].Value.Trim(),
                                                                                fm.Groups[3].Value.Trim()));
          continue;
        }
        body.Add(line);
      }
      string code = Regex.Replace(string.Join(" ", body), @"\s+", " ");
      h.ApiMarkers = Regex.Matches(code, @"\bTARE_API\b").Count;

      foreach (Match m in Regex.Matches(code, @"typedef enum (\w+) ?\{([^}]*)\} ?(\w+) ?;"))
      {
        var items = new List<KeyValuePair<string, long>>();
        long next = 0;
        foreach (string item in m.Groups[2].Value.Split(','))
        {
          string it = item.Trim();
          if (it.Length == 0) continue;
          Match kv = Regex.Match(it, @"^(\w+)(?: = (-?\w+))?$");
          if (!kv.Success) throw new FormatException("enum item '" + it + "'");
          long v = next;
          if (kv.Groups[2].Success) v = h.Value(kv.Groups[2].Value);
          items.Add(new KeyValuePair<string, long>(kv.Groups[1].Value, v));
          next = v + 1;
        }
        h.Enums[m.Groups[3].Value] = items;
      }
      foreach (Match m in Regex.Matches(code, @"typedef struct (\w+) ?\{([^}]*)\} ?(\w+) ?;"))
      {
        var fields = new List<CDecl>();
        foreach (string f in m.Groups[2].Value.Split(';'))
          if (f.Trim().Length > 0) fields.Add(ParseDecl(f));
        h.Structs[m.Groups[3].Value] = fields;
      }
      foreach (Match m in Regex.Matches(code, @"typedef struct (\w+) (\w+) ?;"))
        h.Opaque.Add(m.Groups[2].Value);
      foreach (Match m in Regex.Matches(code, @"typedef ([^;{}()]+?) ?\( ?\* ?(\w+) ?\) ?\(([^)]*)\) ?;"))
      {
        var fn = new CFunction { Name = m.Groups[2].Value, Return = ParseType(m.Groups[1].Value) };
        fn.Params = ParseParams(m.Groups[3].Value);
        h.Callbacks[fn.Name] = fn;
      }
      foreach (Match m in Regex.Matches(code, @"\bTARE_API ([^;{}()]+?) ?\b(\w+) ?\(([^)]*)\) ?;"))
      {
        var fn = new CFunction { Name = m.Groups[2].Value, Return = ParseType(m.Groups[1].Value) };
        fn.Params = ParseParams(m.Groups[3].Value);
        h.Functions.Add(fn);
      }
      return h;
    }

    public long Value(string token)
    {
      long v;
      if (long.TryParse(token, out v)) return v;
      if (Defines.TryGetValue(token, out v)) return v;
      throw new FormatException("unknown constant '" + token + "'");
    }

    private static List<CDecl> ParseParams(string text)
    {
      var list = new List<CDecl>();
      text = text.Trim();
      if (text == "void" || text.Length == 0) return list;
      foreach (string p in text.Split(',')) list.Add(ParseDecl(p));
      return list;
    }

    // "const tare_model* model", "char name[256]", "int32_t shape[TARE_MAX_RANK]", "const char** name"
    private static CDecl ParseDecl(string text)
    {
      text = Regex.Replace(text.Trim(), @"\s*\*\s*", "* ").Trim();
      var d = new CDecl();
      Match arr = Regex.Match(text, @"^(.*?)\s*\[\s*(\w+)\s*\]$");
      if (arr.Success)
      {
        d.ArrayLength = arr.Groups[2].Value;
        text = arr.Groups[1].Value.Trim();
      }
      Match nm = Regex.Match(text, @"^(.*[\s*])(\w+)$");
      if (!nm.Success) throw new FormatException("declaration '" + text + "'");
      d.Name = nm.Groups[2].Value;
      d.Type = ParseType(nm.Groups[1].Value);
      return d;
    }

    private static CType ParseType(string text)
    {
      string t = Regex.Replace(text, @"\s+", " ").Trim();
      var c = new CType();
      c.Pointers = t.Count(ch => ch == '*');
      string rest = t.Replace("*", " ").Trim();
      if (Regex.IsMatch(rest, @"^const\b"))
      {
        c.Const = true;
        rest = rest.Substring(5).Trim();
      }
      rest = Regex.Replace(rest, @"\bconst\b", "").Trim();  // "char* const" and the like
      if (rest.StartsWith("struct ")) rest = rest.Substring(7).Trim();
      if (!Regex.IsMatch(rest, @"^\w+( \w+)*$")) throw new FormatException("type '" + text + "'");
      c.Base = rest;
      c.Text = (c.Const ? "const " : "") + rest + new string('*', c.Pointers);
      return c;
    }
  }

  internal static class HeaderCheck
  {
    private static readonly Dictionary<string, Type> Primitives = new Dictionary<string, Type>
    {
      { "int", typeof(int) }, { "int32_t", typeof(int) }, { "uint32_t", typeof(uint) },
      { "int64_t", typeof(long) }, { "uint64_t", typeof(ulong) }, { "int16_t", typeof(short) },
      { "uint16_t", typeof(ushort) }, { "int8_t", typeof(sbyte) }, { "uint8_t", typeof(byte) },
      { "float", typeof(float) }, { "double", typeof(double) }, { "size_t", typeof(UIntPtr) },
      { "unsigned", typeof(uint) }, { "unsigned int", typeof(uint) },
    };

    private enum Where { Param, Return, Field, CallbackParam }

    /// <summary>Returns the list of mismatches (empty = in step).  `log` gets a summary line.</summary>
    public static List<string> Run(string headerPath, Assembly asm, TextWriter log)
    {
      var errors = new List<string>();
      Header h = Header.Parse(File.ReadAllText(headerPath));
      Type native = asm.GetType("Tare.Native", true);
      const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static |
                               BindingFlags.Instance | BindingFlags.DeclaredOnly;

      // Every TARE_API marker must have been parsed into a function (catches declarations the regex missed).
      if (h.ApiMarkers != h.Functions.Count)
        errors.Add("tare.h: " + h.ApiMarkers + " TARE_API markers but " + h.Functions.Count + " parsed functions");
      if (h.Functions.Count == 0) errors.Add("tare.h: no function parsed");

      long abi;
      if (!h.Defines.TryGetValue("TARE_ABI_VERSION", out abi)) errors.Add("tare.h: no TARE_ABI_VERSION");
      else
      {
        FieldInfo f = native.GetField("AbiVersion", All);
        if (f == null || Convert.ToInt64(f.GetRawConstantValue()) != abi)
          errors.Add("Native.AbiVersion != TARE_ABI_VERSION " + abi);
      }

      // Functions.
      var imports = new Dictionary<string, List<MethodInfo>>();
      foreach (MethodInfo m in native.GetMethods(All))
      {
        if ((m.Attributes & MethodAttributes.PinvokeImpl) == 0) continue;
        string entry = m.Name;
        var dll = (DllImportAttribute)m.GetCustomAttributes(typeof(DllImportAttribute), false).FirstOrDefault();
        if (dll != null)
        {
          if (!string.IsNullOrEmpty(dll.EntryPoint)) entry = dll.EntryPoint;
          if (dll.CallingConvention != CallingConvention.Cdecl)
            errors.Add(m.Name + ": calling convention is not Cdecl");
          if (dll.Value != "tare") errors.Add(m.Name + ": DllImport(\"" + dll.Value + "\"), expected \"tare\"");
        }
        List<MethodInfo> list;
        if (!imports.TryGetValue(entry, out list)) imports[entry] = list = new List<MethodInfo>();
        list.Add(m);
      }
      var declared = new HashSet<string>();
      foreach (CFunction f in h.Functions)
      {
        declared.Add(f.Name);
        List<MethodInfo> list;
        if (!imports.TryGetValue(f.Name, out list))
        {
          errors.Add("missing in C#: " + Describe(f));
          continue;
        }
        foreach (MethodInfo m in list) CheckSignature(h, asm, f, m.ReturnType, m.GetParameters(), f.Name, errors);
      }
      foreach (string name in imports.Keys)
        if (!declared.Contains(name)) errors.Add("C# declares " + name + ", which tare.h does not have");

      // Init macros -> static methods of the same name calling the _sized function (not P/Invoke).
      var helpers = native.GetMethods(All).Where(m => (m.Attributes & MethodAttributes.PinvokeImpl) == 0 &&
                                                      m.IsStatic && m.Name.StartsWith("tare_"))
                          .ToDictionary(m => m.Name);
      foreach (var kv in h.Macros)
      {
        string name = kv.Key, sized = name + "_sized";
        string body = Regex.Replace(kv.Value.Value, @"\s+", "");
        if (kv.Value.Key != "p" || body != sized + "((p),sizeof(*(p)))")
        {
          errors.Add("tare.h: macro " + name + "(" + kv.Value.Key + ") is not an init macro `" + name + "(p) " + sized +
                     "((p), sizeof(*(p)))`: teach HeaderCheck.cs and Native.cs about it");
          continue;
        }
        CFunction f = h.Functions.FirstOrDefault(x => x.Name == sized);
        if (f == null || f.Params.Count != 2 || f.Return.Text != "void" || f.Params[0].Type.Pointers != 1 ||
            !h.Structs.ContainsKey(f.Params[0].Type.Base) || f.Params[1].Type.Text != "size_t")
        {
          errors.Add("tare.h: macro " + name + " needs `void " + sized + "(T* p, size_t size)` with T a struct");
          continue;
        }
        MethodInfo m;
        if (!helpers.TryGetValue(name, out m))
        {
          errors.Add("missing in C#: static void Native." + name + "(" + f.Params[0].Type + " p) for tare.h's macro");
          continue;
        }
        ParameterInfo[] ps = m.GetParameters();
        Type want = native.GetNestedType(f.Params[0].Type.Base, All);
        if (m.ReturnType != typeof(void) || ps.Length != 1 || want == null ||
            ps[0].ParameterType != want.MakePointerType())
          errors.Add("Native." + name + ": must be `static void " + name + "(" + f.Params[0].Type.Base + "* p)`");
      }
      foreach (string name in helpers.Keys)
        if (name.EndsWith("_init") && !h.Macros.ContainsKey(name))
          errors.Add("C# has Native." + name + ", which is no macro of tare.h");

      // Callback typedefs -> delegates of the same name.
      foreach (CFunction cb in h.Callbacks.Values)
      {
        Type d = native.GetNestedType(cb.Name, All);
        if (d == null || !typeof(Delegate).IsAssignableFrom(d))
        {
          errors.Add("missing delegate in C#: " + Describe(cb));
          continue;
        }
        var ufp = (UnmanagedFunctionPointerAttribute)d.GetCustomAttributes(typeof(UnmanagedFunctionPointerAttribute),
                                                                           false).FirstOrDefault();
        if (ufp == null || ufp.CallingConvention != CallingConvention.Cdecl)
          errors.Add(cb.Name + ": delegate lacks [UnmanagedFunctionPointer(CallingConvention.Cdecl)]");
        MethodInfo invoke = d.GetMethod("Invoke");
        CheckSignature(h, asm, cb, invoke.ReturnType, invoke.GetParameters(), cb.Name, errors, true);
      }

      // Structs.
      foreach (var kv in h.Structs) CheckStruct(h, asm, native, kv.Key, kv.Value, errors);
      foreach (Type t in native.GetNestedTypes(All))
      {
        if (!t.Name.StartsWith("tare_")) continue;
        if (typeof(Delegate).IsAssignableFrom(t) ? !h.Callbacks.ContainsKey(t.Name) : !h.Structs.ContainsKey(t.Name))
          errors.Add("C# declares Native." + t.Name + ", which tare.h does not have");
      }

      // Enums.
      foreach (var kv in h.Enums) CheckEnum(asm, kv.Key, kv.Value, errors);

      log.WriteLine("header check: " + h.Functions.Count + " functions, " + h.Macros.Count + " init macros, " +
                    h.Structs.Count + " structs, " + h.Enums.Count + " enums, " + h.Callbacks.Count +
                    " callbacks in " + headerPath + "; " + errors.Count + " mismatch(es)");
      return errors;
    }

    private static string Describe(CFunction f) =>
      f.Return + " " + f.Name + "(" + string.Join(", ", f.Params.Select(p => p.Type + " " + p.Name)) + ")";

    private static void CheckSignature(Header h, Assembly asm, CFunction f, Type ret, ParameterInfo[] ps, string what,
                                       List<string> errors, bool callback = false)
    {
      string why;
      if (!Matches(h, asm, f.Return, ret, Where.Return, out why))
        errors.Add(what + ": return type " + ret + " does not map " + f.Return + " (" + why + ")");
      if (ps.Length != f.Params.Count)
      {
        errors.Add(what + ": " + ps.Length + " parameters in C#, " + f.Params.Count + " in tare.h: " + Describe(f));
        return;
      }
      for (int i = 0; i < ps.Length; i++)
      {
        Type t = ps[i].ParameterType;
        if (!Matches(h, asm, f.Params[i].Type, t, callback ? Where.CallbackParam : Where.Param, out why))
          errors.Add(what + ": parameter " + i + " (" + f.Params[i].Name + "): " + t + " does not map " +
                     f.Params[i].Type + " (" + why + ")");
        else if (!callback && t.IsByRef && !ps[i].IsOut && f.Params[i].Type.Const)
          errors.Add(what + ": parameter " + i + " is ref for a const pointer; use a pointer or 'in'");
      }
    }

    private static Type HandleType(Assembly asm, string cname)
    {
      string want = Norm(cname) + "handle";
      return asm.GetTypes().FirstOrDefault(t => typeof(SafeHandle).IsAssignableFrom(t) && Norm(t.Name) == want);
    }

    // "tare_error_point" -> "errorpoint"; "ErrorPoint" -> "errorpoint"
    private static string Norm(string name)
    {
      string n = name.StartsWith("tare_") ? name.Substring(5) : name;
      return n.Replace("_", "").ToLowerInvariant();
    }

    private static bool Matches(Header h, Assembly asm, CType c, Type t, Where where, out string why)
    {
      why = "";
      if (c.Pointers == 0)
      {
        if (c.Base == "void")
        {
          why = "void";
          return t == typeof(void);
        }
        Type prim;
        if (Primitives.TryGetValue(c.Base, out prim))
        {
          why = "expected " + prim.Name;
          return t == prim;
        }
        if (h.Enums.ContainsKey(c.Base))
        {
          why = "expected an int-backed enum named like " + c.Base + ", or int";
          if (t == typeof(int)) return true;
          return t.IsEnum && Enum.GetUnderlyingType(t) == typeof(int) && Norm(t.Name) == Norm(c.Base);
        }
        if (h.Callbacks.ContainsKey(c.Base))
        {
          why = "expected the delegate Native." + c.Base + (where == Where.Field ? " or IntPtr" : "");
          if (where == Where.Field && t == typeof(IntPtr)) return true;
          return typeof(Delegate).IsAssignableFrom(t) && t.Name == c.Base;
        }
        why = "unknown C type";
        return false;
      }

      Type elem = (t.IsByRef || t.IsPointer || t.IsArray) ? t.GetElementType() : null;
      if (c.Pointers == 1)
      {
        if (c.Base == "char")
        {
          if (where == Where.Param)
          {
            why = "expected byte[] (NUL-terminated UTF-8), string, byte*, sbyte* or IntPtr";
            return t == typeof(byte[]) || t == typeof(string) || t == typeof(byte*) || t == typeof(sbyte*) ||
                   t == typeof(IntPtr);
          }
          why = "expected IntPtr, byte* or sbyte* (a string the caller does not own)";
          return t == typeof(IntPtr) || t == typeof(byte*) || t == typeof(sbyte*);
        }
        if (c.Base == "void")
        {
          why = "expected IntPtr, void* or byte*" + (where == Where.Param ? " or byte[]" : "");
          return t == typeof(IntPtr) || t == typeof(void*) || t == typeof(byte*) ||
                 (where == Where.Param && t == typeof(byte[]));
        }
        if (h.Opaque.Contains(c.Base))
        {
          Type ht = HandleType(asm, c.Base);
          why = "expected " + (ht != null ? ht.Name : "a SafeHandle subclass") + " or IntPtr";
          if (t == typeof(IntPtr)) return true;
          return where != Where.Field && ht != null && t == ht;
        }
        if (h.Structs.ContainsKey(c.Base))
        {
          why = "expected Native." + c.Base + "*, ref/out Native." + c.Base + " or IntPtr";
          if (t == typeof(IntPtr)) return true;
          return elem != null && !t.IsArray && elem.Name == c.Base && elem.IsValueType;
        }
        Type prim;
        if (Primitives.TryGetValue(c.Base, out prim) || h.Enums.ContainsKey(c.Base))
        {
          why = "expected a pointer to, out/ref, or (parameter) array of the element type";
          if (t == typeof(IntPtr)) return true;
          if (elem == null || (t.IsArray && where != Where.Param)) return false;
          string dummy;
          return Matches(h, asm, new CType { Base = c.Base, Text = c.Base }, elem, Where.Field, out dummy);
        }
        why = "unknown C type";
        return false;
      }
      if (c.Pointers == 2)
      {
        if (h.Opaque.Contains(c.Base))
        {
          Type ht = HandleType(asm, c.Base);
          why = "expected out " + (ht != null ? ht.Name : "SafeHandle") + ", out IntPtr, IntPtr* or IntPtr";
          if (t == typeof(IntPtr) || t == typeof(IntPtr*)) return true;
          return t.IsByRef && (elem == ht || elem == typeof(IntPtr));
        }
        if (c.Base == "void" || c.Base == "char")
        {
          why = "expected out IntPtr, IntPtr* or IntPtr";
          return t == typeof(IntPtr) || t == typeof(IntPtr*) || (t.IsByRef && elem == typeof(IntPtr));
        }
      }
      why = "unsupported C type";
      return false;
    }

    private static void CheckStruct(Header h, Assembly asm, Type native, string name, List<CDecl> fields,
                                    List<string> errors)
    {
      const BindingFlags Inst = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
      Type t = native.GetNestedType(name, BindingFlags.Public | BindingFlags.NonPublic);
      if (t == null || !t.IsValueType)
      {
        errors.Add("missing struct in C#: Native." + name);
        return;
      }
      if (!t.IsLayoutSequential) errors.Add(name + ": not [StructLayout(LayoutKind.Sequential)]");
      FieldInfo[] cs = t.GetFields(Inst);
      if (cs.Length != fields.Count)
        errors.Add(name + ": " + cs.Length + " fields in C#, " + fields.Count + " in tare.h");
      long offset = 0, align = 1;
      foreach (CDecl f in fields)
      {
        long size, al;
        if (!CLayout(h, f, out size, out al))
        {
          errors.Add(name + "." + f.Name + ": cannot lay out C type " + f.Type);
          return;
        }
        offset = (offset + al - 1) / al * al;
        align = Math.Max(align, al);
        FieldInfo fi = t.GetField(f.Name, Inst);
        if (fi == null)
        {
          errors.Add(name + ": C# lacks field " + f.Name + " (" + f.Type + ")");
        }
        else
        {
          CheckField(h, asm, name, f, fi, errors);
          long got = (long)Marshal.OffsetOf(t, f.Name);
          if (got != offset) errors.Add(name + "." + f.Name + ": offset " + got + " in C#, " + offset + " in C");
        }
        offset += size;
      }
      offset = (offset + align - 1) / align * align;
      int sz = Marshal.SizeOf(t);
      if (sz != offset) errors.Add(name + ": size " + sz + " in C#, " + offset + " in C");
      foreach (FieldInfo fi in cs)
        if (!fields.Any(f => f.Name == fi.Name)) errors.Add(name + ": C# has field " + fi.Name + ", tare.h does not");
    }

    private static void CheckField(Header h, Assembly asm, string sname, CDecl f, FieldInfo fi, List<string> errors)
    {
      string why;
      if (f.ArrayLength != null)
      {
        var fb = (FixedBufferAttribute)fi.GetCustomAttributes(typeof(FixedBufferAttribute), false).FirstOrDefault();
        long n = h.Value(f.ArrayLength);
        if (fb == null)
        {
          errors.Add(sname + "." + f.Name + ": expected a fixed buffer [" + n + "] for " + f.Type + "[" +
                     f.ArrayLength + "]");
          return;
        }
        if (fb.Length != n) errors.Add(sname + "." + f.Name + ": fixed buffer of " + fb.Length + ", C has " + n);
        bool ok = f.Type.Base == "char" && f.Type.Pointers == 0
          ? fb.ElementType == typeof(byte) || fb.ElementType == typeof(sbyte)
          : Matches(h, asm, f.Type, fb.ElementType, Where.Field, out why);
        if (!ok) errors.Add(sname + "." + f.Name + ": element type " + fb.ElementType + " does not map " + f.Type);
        return;
      }
      if (!Matches(h, asm, f.Type, fi.FieldType, Where.Field, out why))
        errors.Add(sname + "." + f.Name + ": " + fi.FieldType + " does not map " + f.Type + " (" + why + ")");
    }

    // Size and alignment under the platform's C ABI (natural alignment; pointers and size_t of IntPtr.Size).
    private static bool CLayout(Header h, CDecl f, out long size, out long align)
    {
      CType c = f.Type;
      long elem;
      if (c.Pointers > 0 || h.Callbacks.ContainsKey(c.Base)) elem = IntPtr.Size;
      else if (c.Base == "char" || c.Base == "int8_t" || c.Base == "uint8_t") elem = 1;
      else if (c.Base == "int16_t" || c.Base == "uint16_t") elem = 2;
      else if (c.Base == "size_t") elem = IntPtr.Size;
      else if (h.Enums.ContainsKey(c.Base)) elem = 4;
      else if (c.Base == "int64_t" || c.Base == "uint64_t" || c.Base == "double") elem = 8;
      else if (Primitives.ContainsKey(c.Base)) elem = 4;
      else
      {
        size = align = 0;
        return false;
      }
      align = elem;
      size = f.ArrayLength != null ? elem * h.Value(f.ArrayLength) : elem;
      return true;
    }

    private static void CheckEnum(Assembly asm, string cname, List<KeyValuePair<string, long>> items,
                                  List<string> errors)
    {
      Type t = asm.GetTypes().FirstOrDefault(x => x.IsEnum && x.Namespace == "Tare" && Norm(x.Name) == Norm(cname));
      if (t == null)
      {
        errors.Add("missing enum in C#: " + cname);
        return;
      }
      if (Enum.GetUnderlyingType(t) != typeof(int)) errors.Add(t.Name + ": underlying type is not int");
      string[] names = Enum.GetNames(t);
      if (names.Length != items.Count)
        errors.Add(t.Name + ": " + names.Length + " members in C#, " + items.Count + " in tare.h");
      foreach (var kv in items)
      {
        string cn = Norm(kv.Key);
        string match = names.FirstOrDefault(n => cn.EndsWith(Norm(n)) &&
                                                 Convert.ToInt64(Enum.Parse(t, n)) == kv.Value);
        if (match == null) errors.Add(t.Name + ": no member for " + kv.Key + " = " + kv.Value);
      }
    }
  }
}

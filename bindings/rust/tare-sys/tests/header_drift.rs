//! Keeps `src/lib.rs` and `include/tare/tare.h` in step: the header is parsed (functions, callback typedefs, structs,
//! enums, numeric #defines, opaque handles, function-like macros) and every item must be declared in lib.rs with the
//! same name, the same parameter names and count, and the Rust type that the C type maps to; lib.rs must not declare
//! functions the header lacks.  tare.h's function-like macros must all be init macros, `#define tare_X_init(p)
//! tare_X_init_sized((p), sizeof(*(p)))` over a declared `void tare_X_init_sized(T* p, size_t size)`, and lib.rs must
//! have for each one `pub unsafe fn tare_X_init(p: *mut T) { tare_X_init_sized(p, core::mem::size_of::<T>()) }` (and
//! no other such function); the library exports no function under a macro's name, so lib.rs cannot declare it as
//! extern.  Then a C program compiled against the header prints sizeof/offsetof of every struct and field, compared
//! with Rust's size_of/offset_of (skipped, visibly, without a C compiler).
//!
//! The header is ../../../include/tare/tare.h from this crate, or the file named by TARE_HEADER.
use std::collections::BTreeMap;
use std::path::PathBuf;

// ---- small text helpers -----------------------------------------------------------------------------------------

fn strip_c_comments(s: &str) -> String {
  let mut out = String::new();
  let b = s.as_bytes();
  let mut i = 0;
  while i < b.len() {
    if b[i] == b'/' && i + 1 < b.len() && b[i + 1] == b'*' {
      let end = s[i + 2..].find("*/").map(|e| i + 2 + e + 2).unwrap_or(b.len());
      out.push(' ');
      i = end;
    } else if b[i] == b'/' && i + 1 < b.len() && b[i + 1] == b'/' {
      while i < b.len() && b[i] != b'\n' {
        i += 1;
      }
    } else {
      out.push(b[i] as char);
      i += 1;
    }
  }
  out
}

fn strip_line_comments(s: &str) -> String {
  s.lines()
    .map(|l| match l.find("//") {
      Some(p) => &l[..p],
      None => l,
    })
    .collect::<Vec<_>>()
    .join("\n")
}

fn squash(s: &str) -> String {
  s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn nospace(s: &str) -> String {
  s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn is_ident_char(c: char) -> bool {
  c.is_ascii_alphanumeric() || c == '_'
}

/// Splits at `sep` outside (), [], <>.
fn split_top(s: &str, sep: char) -> Vec<String> {
  let mut parts = Vec::new();
  let mut depth = 0i32;
  let mut cur = String::new();
  let mut prev = ' ';
  for c in s.chars() {
    match c {
      '(' | '[' | '<' => depth += 1,
      ')' | ']' => depth -= 1,
      '>' if prev != '-' => depth -= 1,
      _ => {}
    }
    if c == sep && depth == 0 {
      parts.push(cur.trim().to_string());
      cur.clear();
    } else {
      cur.push(c);
    }
    prev = c;
  }
  if !cur.trim().is_empty() {
    parts.push(cur.trim().to_string());
  }
  parts
}

/// Index of the bracket closing the one opening at `open`.
fn matching(s: &str, open: usize) -> usize {
  let b = s.as_bytes();
  let (o, c) = (
    b[open],
    match b[open] {
      b'(' => b')',
      b'{' => b'}',
      b'[' => b']',
      _ => panic!("not a bracket"),
    },
  );
  let mut depth = 0;
  for (i, &ch) in b.iter().enumerate().skip(open) {
    if ch == o {
      depth += 1;
    } else if ch == c {
      depth -= 1;
      if depth == 0 {
        return i;
      }
    }
  }
  panic!("unbalanced bracket in {}", &s[open..]);
}

/// Splits "TYPE NAME" (the name is the trailing identifier).
fn split_decl(decl: &str) -> (String, String) {
  let d = decl.trim();
  let end = d.len();
  let start = d.rfind(|c: char| !is_ident_char(c)).map(|p| p + 1).unwrap_or(0);
  (d[..start].trim().to_string(), d[start..end].to_string())
}

// ---- the header -------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct CParam {
  ty: String,
  name: String,
}

#[derive(Debug, Clone)]
struct CFunc {
  ret: String,
  params: Vec<CParam>,
}

#[derive(Debug, Default)]
struct Header {
  defines: BTreeMap<String, i64>,
  functions: BTreeMap<String, CFunc>,
  callbacks: BTreeMap<String, CFunc>,
  structs: BTreeMap<String, Vec<(String, String, Option<String>)>>, // field type, name, array dimension
  enums: BTreeMap<String, Vec<(String, i64)>>,
  opaque: Vec<String>,
  macros: BTreeMap<String, (String, String)>, // function-like #define: parameters, replacement
}

fn parse_params(s: &str) -> Vec<CParam> {
  let s = s.trim();
  if s == "void" || s.is_empty() {
    return Vec::new();
  }
  split_top(s, ',')
    .into_iter()
    .map(|p| {
      let (ty, name) = split_decl(&p);
      assert!(!ty.is_empty() && !name.is_empty(), "cannot parse parameter '{p}'");
      CParam { ty, name }
    })
    .collect()
}

fn parse_header(text: &str) -> Header {
  let mut h = Header::default();
  let text = strip_c_comments(text);
  let mut body = String::new();
  for line in text.lines() {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix("#define ") {
      let name_end = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
      if rest[name_end..].starts_with('(') {
        let close = name_end + rest[name_end..].find(')').expect("macro without ')'");
        let def = (rest[name_end + 1..close].trim().to_string(), rest[close + 1..].trim().to_string());
        assert!(h.macros.insert(rest[..name_end].to_string(), def).is_none(), "macro defined twice: {t}");
        continue;
      }
      let parts: Vec<&str> = rest.split_whitespace().collect();
      if parts.len() == 2 {
        if let Ok(v) = parts[1].parse::<i64>() {
          h.defines.insert(parts[0].to_string(), v);
        }
      }
    } else if !t.starts_with('#') {
      body.push_str(line);
      body.push('\n');
    }
  }
  let s = squash(&body);
  let s = s.replace("extern \"C\" {", "").replace("extern \"C\"{", "");

  // Functions: "TARE_API <ret> <name>(<params>);", possibly spread over lines (squashed above).
  let mut rest = s.as_str();
  while let Some(p) = rest.find("TARE_API ") {
    let decl_start = p + "TARE_API ".len();
    let open = decl_start + rest[decl_start..].find('(').expect("function without '('");
    let close = matching(rest, open);
    let (ret, name) = split_decl(&rest[decl_start..open]);
    assert!(rest[close + 1..].trim_start().starts_with(';'), "unexpected text after {name}(...)");
    let f = CFunc { ret, params: parse_params(&rest[open + 1..close]) };
    assert!(h.functions.insert(name.clone(), f).is_none(), "{name} declared twice");
    rest = &rest[close + 1..];
  }

  // typedefs
  let mut rest = s.as_str();
  while let Some(p) = rest.find("typedef ") {
    let t = &rest[p + "typedef ".len()..];
    let semi0 = t.find(';').unwrap();
    let kind = if t.starts_with("struct ") {
      Some(("struct ", false))
    } else if t.starts_with("enum ") {
      Some(("enum ", true))
    } else {
      None
    };
    let end; // index in t of the ';' ending the typedef
    match (kind, t.find('{')) {
      (Some((kw, is_enum)), Some(brace)) if brace < semi0 => {
        let close = matching(t, brace);
        end = close + t[close..].find(';').unwrap();
        let tag = t[kw.len()..brace].trim().to_string();
        let name = t[close + 1..end].trim().to_string();
        assert_eq!(tag, name, "typedef name differs from the tag");
        let inner = &t[brace + 1..close];
        if is_enum {
          let mut next = 0i64;
          let mut values = Vec::new();
          for e in split_top(inner, ',') {
            let (n, v) = match e.split_once('=') {
              Some((n, v)) => (n.trim().to_string(), v.trim().parse::<i64>().expect("enum value")),
              None => (e.trim().to_string(), next),
            };
            next = v + 1;
            values.push((n, v));
          }
          h.enums.insert(name, values);
        } else {
          let mut fields = Vec::new();
          for f in inner.split(';').map(str::trim).filter(|f| !f.is_empty()) {
            assert!(!f.contains(','), "several fields in one declaration are not handled: '{f}'");
            let (decl, dim) = match f.find('[') {
              Some(b) => (&f[..b], Some(f[b + 1..f.rfind(']').unwrap()].trim().to_string())),
              None => (f, None),
            };
            let (ty, n) = split_decl(decl);
            fields.push((ty, n, dim));
          }
          h.structs.insert(name, fields);
        }
      }
      (Some(_), _) => {
        // typedef struct tag_s name;
        end = semi0;
        let (_, name) = split_decl(&t[..semi0]);
        h.opaque.push(name);
      }
      (None, _) => {
        // typedef RET (*NAME)(PARAMS);
        end = semi0;
        let decl = &t[..semi0];
        let star = decl.find("(*").unwrap_or_else(|| panic!("unhandled typedef '{decl}'"));
        let close_name = star + decl[star..].find(')').unwrap();
        let name = decl[star + 2..close_name].trim().to_string();
        let open = close_name + decl[close_name..].find('(').unwrap();
        let close = matching(decl, open);
        let f = CFunc { ret: decl[..star].trim().to_string(), params: parse_params(&decl[open + 1..close]) };
        h.callbacks.insert(name, f);
      }
    }
    rest = &t[end + 1..];
  }
  h
}

/// The Rust type a C type maps to (whitespace-free), e.g. "const tare_context_options*" -> "*consttare_context_options".
fn c_to_rust(c: &str) -> String {
  let spaced = c.replace('*', " * ");
  let toks: Vec<&str> = spaced.split_whitespace().collect();
  let mut base_const = false;
  let mut base = None;
  let mut ptrs: Vec<bool> = Vec::new(); // per '*': is the pointer itself const
  for t in toks {
    match t {
      "const" if ptrs.is_empty() => base_const = true,
      "const" => *ptrs.last_mut().unwrap() = true,
      "*" => ptrs.push(false),
      "struct" | "enum" => {}
      other => {
        assert!(base.is_none(), "cannot map C type '{c}'");
        base = Some(other);
      }
    }
  }
  let base = base.unwrap_or_else(|| panic!("no base type in '{c}'"));
  let mut r = match base {
    "void" => "c_void",
    "char" => "c_char",
    "int" => "c_int",
    "float" => "f32",
    "double" => "f64",
    "size_t" => "usize",
    "int8_t" => "i8",
    "uint8_t" => "u8",
    "int16_t" => "i16",
    "uint16_t" => "u16",
    "int32_t" => "i32",
    "uint32_t" => "u32",
    "int64_t" => "i64",
    "uint64_t" => "u64",
    t if t.starts_with("tare_") => t,
    t => panic!("no Rust mapping for C type '{t}' (in '{c}')"),
  }
  .to_string();
  if ptrs.is_empty() && base == "void" {
    return String::new(); // "no value"
  }
  let mut pointee_const = base_const;
  for self_const in ptrs {
    r = format!("{}{}", if pointee_const { "*const" } else { "*mut" }, r);
    pointee_const = self_const;
  }
  r
}

// ---- lib.rs -----------------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct RustDecls {
  functions: BTreeMap<String, (Vec<(String, String)>, String)>, // params (name, type), return type ("" = none)
  types: BTreeMap<String, String>,                              // pub type NAME = TYPE;
  consts: BTreeMap<String, (String, i64)>,
  structs: BTreeMap<String, Vec<(String, String)>>,
  helpers: BTreeMap<String, (Vec<(String, String)>, String, String)>, // pub unsafe fn: params, return type, body
}

fn clean_rust_type(t: &str) -> String {
  let mut s = nospace(t);
  for prefix in ["::core::ffi::", "core::ffi::", "::std::os::raw::", "std::os::raw::", "std::ffi::", "libc::"] {
    s = s.replace(prefix, "");
  }
  s
}

fn parse_rust_fn_sig(s: &str) -> (Vec<(String, String)>, String) {
  // s starts at '(' of the parameter list; returns params and the return type (text after "->", trimmed).
  let close = matching(s, 0);
  let params = split_top(&s[1..close], ',')
    .into_iter()
    .map(|p| {
      let (n, t) = p.split_once(':').unwrap_or_else(|| panic!("cannot parse Rust parameter '{p}'"));
      (n.trim().to_string(), clean_rust_type(t))
    })
    .collect();
  let after = s[close + 1..].trim();
  let ret = after.strip_prefix("->").map(clean_rust_type).unwrap_or_default();
  (params, ret)
}

fn parse_rust(text: &str) -> RustDecls {
  let mut r = RustDecls::default();
  let s = squash(&strip_line_comments(text));
  // Functions: "pub fn NAME(...) -> T;" inside extern blocks.
  let mut rest = s.as_str();
  while let Some(p) = rest.find("pub fn ") {
    let t = &rest[p + 7..];
    let open = t.find('(').unwrap();
    let name = t[..open].trim().to_string();
    let close = matching(t, open);
    let semi = close + t[close..].find(';').unwrap();
    let (params, ret) = parse_rust_fn_sig(&t[open..semi]);
    assert!(r.functions.insert(name.clone(), (params, ret)).is_none(), "{name} declared twice in lib.rs");
    rest = &t[semi..];
  }
  let mut rest = s.as_str();
  while let Some(p) = rest.find("pub type ") {
    let t = &rest[p + 9..];
    let eq = t.find('=').unwrap();
    let name = t[..eq].trim().to_string();
    // the type ends at the ';' at depth 0 (an array type could contain ';' inside brackets)
    let mut depth = 0;
    let mut end = 0;
    for (i, c) in t[eq + 1..].char_indices() {
      match c {
        '(' | '[' | '<' => depth += 1,
        ')' | ']' => depth -= 1,
        '>' if !t[eq + 1..eq + 1 + i].ends_with('-') => depth -= 1,
        ';' if depth == 0 => {
          end = eq + 1 + i;
          break;
        }
        _ => {}
      }
    }
    r.types.insert(name, t[eq + 1..end].trim().to_string());
    rest = &t[end..];
  }
  // The header's macros as Rust functions: "pub unsafe fn NAME(...) { BODY }".
  let mut rest = s.as_str();
  while let Some(p) = rest.find("pub unsafe fn ") {
    let t = &rest[p + 14..];
    let open = t.find('(').unwrap();
    let name = t[..open].trim().to_string();
    let brace = open + t[open..].find('{').unwrap();
    let (params, ret) = parse_rust_fn_sig(&t[open..brace]);
    let close = matching(t, brace);
    let body = nospace(&t[brace + 1..close]);
    assert!(r.helpers.insert(name.clone(), (params, ret, body)).is_none(), "{name} defined twice in lib.rs");
    rest = &t[close..];
  }
  let mut rest = s.as_str();
  while let Some(p) = rest.find("pub const ") {
    let t = &rest[p + 10..];
    let semi = t.find(';').unwrap();
    let (lhs, v) = t[..semi].split_once('=').unwrap();
    let (n, ty) = lhs.split_once(':').unwrap();
    let value = v.trim().parse::<i64>().unwrap_or_else(|_| panic!("pub const {n}: value is not an integer literal"));
    r.consts.insert(n.trim().to_string(), (clean_rust_type(ty), value));
    rest = &t[semi..];
  }
  let mut rest = s.as_str();
  while let Some(p) = rest.find("pub struct ") {
    let t = &rest[p + 11..];
    let brace = t.find('{').unwrap();
    let name = t[..brace].trim().to_string();
    let close = matching(t, brace);
    let fields = split_top(&t[brace + 1..close], ',')
      .into_iter()
      .map(|f| {
        let f = f.trim_start_matches("pub ").trim();
        let (n, ty) = f.split_once(':').unwrap();
        (n.trim().to_string(), clean_rust_type(ty))
      })
      .collect();
    r.structs.insert(name, fields);
    rest = &t[close..];
  }
  r
}

// ---- the comparison ---------------------------------------------------------------------------------------------

const RUST_KEYWORDS: &[&str] = &[
  "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
  "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
  "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn",
];

fn rust_name(c: &str) -> String {
  if RUST_KEYWORDS.contains(&c) {
    format!("{c}_")
  } else {
    c.to_string()
  }
}

/// `[T;N]` with N a name of lib.rs's constants -> `[T;value]`.
fn resolve_array(t: &str, consts: &BTreeMap<String, (String, i64)>) -> String {
  if let (true, Some(semi)) = (t.starts_with('['), t.find(';')) {
    let n = &t[semi + 1..t.len() - 1];
    let n = n.strip_suffix("asusize").unwrap_or(n);
    if let Some((_, v)) = consts.get(n) {
      return format!("{};{}]", &t[..semi], v);
    }
  }
  t.to_string()
}

fn compare(h: &Header, r: &RustDecls) -> Vec<String> {
  let mut errs = Vec::new();
  let check_sig = |errs: &mut Vec<String>, what: &str, c: &CFunc, params: &[(String, String)], ret: &str| {
    if params.len() != c.params.len() {
      errs.push(format!("{what}: {} parameters in tare.h, {} in tare-sys", c.params.len(), params.len()));
      return;
    }
    for (i, (cp, (rn, rt))) in c.params.iter().zip(params).enumerate() {
      let want = c_to_rust(&cp.ty);
      if *rn != rust_name(&cp.name) {
        errs.push(format!("{what}: parameter {i} is '{}' in tare.h, '{rn}' in tare-sys", cp.name));
      }
      if *rt != want {
        errs.push(format!(
          "{what}: parameter '{}' is '{}' in tare.h, so '{want}' expected, tare-sys has '{rt}'",
          cp.name, cp.ty
        ));
      }
    }
    let want = c_to_rust(&c.ret);
    if ret != want {
      errs.push(format!("{what}: returns '{}' in tare.h, so '{want}' expected, tare-sys has '{ret}'", c.ret));
    }
  };

  for (name, c) in &h.functions {
    match r.functions.get(name) {
      None => errs.push(format!("function {name} is in tare.h but not in tare-sys")),
      Some((params, ret)) => check_sig(&mut errs, name, c, params, ret),
    }
  }
  for name in r.functions.keys() {
    if !h.functions.contains_key(name) {
      errs.push(format!("function {name} is in tare-sys but not in tare.h"));
    }
  }

  for (name, c) in &h.callbacks {
    let Some(t) = r.types.get(name) else {
      errs.push(format!("callback type {name} is in tare.h but not in tare-sys"));
      continue;
    };
    let t = nospace(t);
    let prefix = "Option<unsafeextern\"C\"fn";
    if !t.starts_with(prefix) || !t.ends_with('>') {
      errs.push(format!("callback type {name} must be Option<unsafe extern \"C\" fn(...)>, is '{t}'"));
      continue;
    }
    // re-parse from the spaced text to keep "->"
    let spaced = r.types[name].trim();
    let open = spaced.find('(').unwrap();
    let inner = &spaced[open..spaced.len() - 1];
    let (params, ret) = parse_rust_fn_sig(inner);
    check_sig(&mut errs, name, c, &params, &ret);
  }

  for (name, values) in &h.enums {
    match r.types.get(name).map(|t| clean_rust_type(t)) {
      Some(t) if t == "c_int" => {}
      other => errs.push(format!("enum {name}: tare-sys must have `pub type {name} = c_int;`, has {other:?}")),
    }
    for (e, v) in values {
      match r.consts.get(e) {
        None => errs.push(format!("enumerator {e} ({name}) is in tare.h but not in tare-sys")),
        Some((t, rv)) => {
          if t != name || rv != v {
            errs.push(format!("enumerator {e}: tare.h {name} = {v}, tare-sys {t} = {rv}"));
          }
        }
      }
    }
  }

  for (name, v) in &h.defines {
    match r.consts.get(name) {
      None => errs.push(format!("#define {name} {v} is not in tare-sys")),
      Some((_, rv)) if rv != v => errs.push(format!("{name}: tare.h {v}, tare-sys {rv}")),
      _ => {}
    }
  }

  for name in &h.opaque {
    match r.structs.get(name) {
      Some(f) if f.iter().all(|(n, _)| n.starts_with('_')) => {}
      _ => errs.push(format!("opaque handle {name}: tare-sys needs a `pub struct {name}` with private fields only")),
    }
  }

  for (name, fields) in &h.structs {
    let Some(rf) = r.structs.get(name) else {
      errs.push(format!("struct {name} is in tare.h but not in tare-sys"));
      continue;
    };
    if rf.len() != fields.len() {
      errs.push(format!("struct {name}: {} fields in tare.h, {} in tare-sys", fields.len(), rf.len()));
    }
    for (i, ((cty, cname, dim), (rn, rt))) in fields.iter().zip(rf).enumerate() {
      if *rn != rust_name(cname) {
        errs.push(format!("struct {name}: field {i} is '{cname}' in tare.h, '{rn}' in tare-sys"));
      }
      let mut want = c_to_rust(cty);
      if let Some(d) = dim {
        let n = d.parse::<i64>().ok().or_else(|| h.defines.get(d).copied());
        let n = n.unwrap_or_else(|| panic!("array dimension '{d}' of {name}.{cname} is not a number or #define"));
        want = format!("[{want};{n}]");
      }
      let got = resolve_array(rt, &r.consts);
      if got != want {
        errs.push(format!(
          "struct {name}: field '{cname}' is '{cty}' in tare.h, so '{want}' expected, tare-sys has '{rt}'"
        ));
      }
    }
  }
  for (name, f) in &r.structs {
    if !h.structs.contains_key(name) && !h.opaque.contains(name) {
      errs.push(format!("struct {name} ({} fields) is in tare-sys but not in tare.h", f.len()));
    }
  }

  // Init macros: `#define NAME(p) NAME_sized((p), sizeof(*(p)))` -> `pub unsafe fn NAME(x: *mut T)` calling
  // `NAME_sized(x, core::mem::size_of::<T>())`.
  for (name, (params, body)) in &h.macros {
    let sized = format!("{name}_sized");
    if params != "p" || nospace(body) != format!("{sized}((p),sizeof(*(p)))") {
      errs.push(format!(
        "macro {name}({params}) of tare.h is not an init macro `{name}(p) {sized}((p), sizeof(*(p)))`: \
         teach tests/header_drift.rs and tare-sys about it"
      ));
      continue;
    }
    let Some(f) = h.functions.get(&sized) else {
      errs.push(format!("macro {name} of tare.h expands to {sized}, which tare.h does not declare"));
      continue;
    };
    let (ptr, size) = match &f.params[..] {
      [p, s] => (c_to_rust(&p.ty), c_to_rust(&s.ty)),
      _ => (String::new(), String::new()),
    };
    let Some(ty) = ptr.strip_prefix("*mut").filter(|_| size == "usize" && c_to_rust(&f.ret).is_empty()) else {
      errs.push(format!("{sized} of tare.h is not `void {sized}(T* p, size_t size)`"));
      continue;
    };
    let pname = rust_name(&f.params[0].name);
    match r.helpers.get(name) {
      None => errs.push(format!("macro {name} of tare.h has no `pub unsafe fn {name}` in tare-sys")),
      Some((hp, ret, body)) => {
        if hp.len() != 1 || hp[0] != (pname.clone(), ptr.clone()) || !ret.is_empty() {
          let want = format!("pub unsafe fn {name}({pname}: *mut {ty})");
          errs.push(format!("tare-sys {name}: must be `{want}`, has {hp:?} -> '{ret}'"));
        }
        let want = format!("{sized}({pname},core::mem::size_of::<{ty}>())");
        if *body != want {
          errs.push(format!("tare-sys {name}: the body must be `{want}` (tare.h's macro), is `{body}`"));
        }
      }
    }
  }
  for name in r.helpers.keys() {
    if !h.macros.contains_key(name) {
      errs.push(format!("tare-sys has `pub unsafe fn {name}`, which is no macro of tare.h"));
    }
  }
  errs
}

fn header_path() -> PathBuf {
  match std::env::var("TARE_HEADER") {
    Ok(p) if !p.is_empty() => PathBuf::from(p),
    _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../include/tare/tare.h"),
  }
}

fn load() -> (Header, RustDecls) {
  let hp = header_path();
  let htext = std::fs::read_to_string(&hp).unwrap_or_else(|e| panic!("cannot read {}: {e}", hp.display()));
  let rp = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
  let rtext = std::fs::read_to_string(&rp).unwrap();
  (parse_header(&htext), parse_rust(&rtext))
}

#[test]
fn header_and_bindings_agree() {
  let (h, r) = load();
  // The parser must have seen the whole header, or the test proves nothing.
  assert!(h.functions.len() >= 60, "only {} functions parsed from tare.h", h.functions.len());
  assert!(
    h.structs.len() >= 17 && h.enums.len() >= 7 && h.callbacks.len() >= 3 && h.opaque.len() >= 4,
    "header parse incomplete: {} structs, {} enums, {} callbacks, {} handles",
    h.structs.len(),
    h.enums.len(),
    h.callbacks.len(),
    h.opaque.len()
  );
  assert!(h.functions.contains_key("tare_correct_bias_array"), "a multi-line declaration was missed");
  assert!(h.macros.len() >= 15, "only {} init macros parsed from tare.h", h.macros.len());
  let errs = compare(&h, &r);
  println!(
    "tare.h: {} functions, {} init macros, {} structs, {} enums, {} callbacks, {} handles, {} #defines checked",
    h.functions.len(),
    h.macros.len(),
    h.structs.len(),
    h.enums.len(),
    h.callbacks.len(),
    h.opaque.len(),
    h.defines.len()
  );
  assert!(errs.is_empty(), "tare-sys and tare.h differ:\n  {}", errs.join("\n  "));
}

#[test]
fn the_check_catches_drift() {
  // Edits of a copy of the header that the comparison must report.
  let hp = header_path();
  let text = std::fs::read_to_string(&hp).unwrap();
  let rtext = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
  let r = parse_rust(&rtext);
  let cases = [
    (text.replace("TARE_API void tare_free(void* data);",
                  "TARE_API void tare_free(void* data);\nTARE_API tare_status tare_new_thing(const tare_model* m,\n    uint32_t* n);"),
     "tare_new_thing"),
    (text.replace("uint32_t index, const void* data, size_t size);", "uint32_t index, const void* data, uint64_t size);"),
     "tare_session_set_input"),
    (text.replace("  int32_t op_index;  ", "  uint32_t op_index;  "), "op_index"),
    (text.replace("  uint32_t channels;\n  int has_after;", "  int has_after;\n  uint32_t channels;"), "tare_layer_info"),
    (text.replace("TARE_ERROR_DEVICE_LOST = 11", "TARE_ERROR_DEVICE_LOST = 11,\n  TARE_ERROR_NEW = 12"), "TARE_ERROR_NEW"),
    (text.replace("uint32_t done, uint32_t total);", "uint32_t done);"), "tare_progress_fn"),
    // init macros: one removed, one of another form, a new one
    (text.replace("#define tare_bft_report_init(p) tare_bft_report_init_sized((p), sizeof(*(p)))\n", ""),
     "pub unsafe fn tare_bft_report_init`, which is no macro"),
    (text.replace("tare_bft_report_init_sized((p), sizeof(*(p)))", "tare_bft_report_init_sized((p), 64)"),
     "macro tare_bft_report_init(p)"),
    (text.replace("TARE_API void tare_free(void* data);",
                  "TARE_API void tare_free(void* data);\nTARE_API void tare_new_init_sized(tare_bft_report* report, \
                   size_t size);\n#define tare_new_init(p) tare_new_init_sized((p), sizeof(*(p)))"),
     "no `pub unsafe fn tare_new_init`"),
  ];
  for (edited, what) in cases {
    assert_ne!(edited, text, "the edit for '{what}' did not apply: update this test");
    let errs = compare(&parse_header(&edited), &r);
    assert!(errs.iter().any(|e| e.contains(what)), "an edit of '{what}' went unnoticed: {errs:?}");
  }
}

// ---- layout against a C compiler --------------------------------------------------------------------------------

macro_rules! layouts {
  ($($s:ident { $($f:ident),* $(,)? })*) => {
    fn rust_layouts() -> BTreeMap<String, (usize, usize, Vec<(String, usize)>)> {
      let mut m = BTreeMap::new();
      $(
        m.insert(stringify!($s).to_string(), (
          std::mem::size_of::<tare_sys::$s>(),
          std::mem::align_of::<tare_sys::$s>(),
          vec![$((stringify!($f).to_string(), std::mem::offset_of!(tare_sys::$s, $f))),*],
        ));
      )*
      m
    }
  };
}

layouts! {
  tare_device_info { struct_size, name, type_, vendor_id, device_id, api_version, fp16_arithmetic, fp16_storage,
    int8_storage, int8_arithmetic, integer_dot_product, int64, subgroup_size, subgroup_operations, timestamps,
    timestamp_period_ns, max_workgroup_invocations, max_shared_memory_bytes, max_storage_buffer_range,
    device_local_bytes }
  tare_context_options { struct_size, device_index, device_name, validation, pipeline_cache_data, pipeline_cache_size,
    fence_timeout_ms }
  tare_tensor_info { struct_size, name, dtype, rank, shape, byte_size, quantized, scale, zero_point,
    quantized_dimension, num_scales }
  tare_op_info { struct_size, type_, source_index, num_inputs, num_outputs, inputs, outputs, macs }
  tare_op_support_info { struct_size, name, builtin_code, alt_builtin_code, alt_name, is_internal, has_float, has_int8,
    has_gradient, can_import, can_export, custom_name }
  tare_session_options { struct_size, precision, batch, profiling }
  tare_memory_report { struct_size, constant_bytes, activation_bytes, unplanned_bytes, staging_bytes }
  tare_run_timing { struct_size, run_ms, queue_wait_ms, submit_ms, fence_wait_ms, profile_read_ms, gpu_span_ms,
    gpu_ops_ms }
  tare_pipeline_report { struct_size, pipelines, shaders, compiled, threads, compile_ms, compile_sum_ms }
  tare_quantize_options { struct_size, per_channel, bias_16bit, drop_dead_channels, rounding, input_type,
    output_type, calibration_batch, progress, user_data, ranges, percentile }
  tare_quantize_report { struct_size, dead_channels, quantized_weights, activations, calibration_ms }
  tare_ibc_options { struct_size, pre_activation, bias_16bit, progress, user_data, batch, heads, guard, guard_images }
  tare_ibc_report { struct_size, layers, images, clamped, wall_ms, kept, guard_images, kept_basic, guard_gain_db,
    guard_sqnr_basic_db, guard_sqnr_ibc_db, guard_ms }
  tare_analyze_options { struct_size, batch, progress, user_data }
  tare_layer_info { struct_size, name, op, activation, op_index, channels, has_after, stages }
  tare_error_stats { struct_size, mas, mssr, rqnsr, mean_share, mas_abs_max, count }
  tare_bft_options { struct_size, rate_count, rates, mini_epochs_per_rate, images_per_mini_epoch, batch,
    memory_budget, bias_16bit, seed, on_loss, user_data, validation_images }
  tare_bft_report { struct_size, layers, batch, mini_epochs, clamped, initial_loss, final_loss, training_bytes,
    wall_ms, validation_images, best_mini_epoch, initial_validation_loss, best_validation_loss }
  tare_equalize_options { struct_size, replace_relu6, max_iterations }
  tare_equalize_report { struct_size, pairs, iterations, relu6_replaced, relu6_clipped }
  tare_pixels { struct_size, format, width, height, data, stride, uv, uv_stride }
  tare_image_options { struct_size, rotation, crop_fraction, crop_x, crop_y, crop_width, crop_height, resize,
    channels, mean, std }
}

#[test]
fn struct_layouts_match_the_c_compiler() {
  let (h, _) = load();
  let rl = rust_layouts();
  // The table above must itself cover every struct and field of the header.
  for (name, fields) in &h.structs {
    let (_, _, rf) = rl.get(name).unwrap_or_else(|| panic!("struct {name} missing from the layout table"));
    let want: Vec<String> = fields.iter().map(|f| rust_name(&f.1)).collect();
    let got: Vec<String> = rf.iter().map(|f| f.0.clone()).collect();
    assert_eq!(want, got, "layout table of {name} differs from tare.h");
  }
  let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
  let dir = std::env::temp_dir().join(format!("tare_sys_layout_{}", std::process::id()));
  std::fs::create_dir_all(&dir).unwrap();
  let hp = header_path().canonicalize().unwrap();
  let mut c = format!("#include <stdio.h>\n#include <stddef.h>\n#include \"{}\"\nint main(void) {{\n", hp.display());
  for (name, fields) in &h.structs {
    c += &format!("  printf(\"{name} %zu %zu\\n\", sizeof({name}), _Alignof({name}));\n");
    for f in fields {
      c += &format!("  printf(\"{name}.{} %zu\\n\", offsetof({name}, {}));\n", rust_name(&f.1), f.1);
    }
  }
  c += "  return 0;\n}\n";
  let src = dir.join("layout.c");
  let exe = dir.join("layout");
  std::fs::write(&src, c).unwrap();
  let status = std::process::Command::new(&cc).args(["-std=c11", "-o"]).arg(&exe).arg(&src).status();
  match status {
    Ok(s) if s.success() => {}
    Ok(s) => panic!("{cc} failed ({s}) on the layout program {}", src.display()),
    Err(e) => {
      println!("SKIPPED layout check: no C compiler '{cc}' ({e})");
      return;
    }
  }
  let out = std::process::Command::new(&exe).output().unwrap();
  let _ = std::fs::remove_dir_all(&dir);
  let text = String::from_utf8(out.stdout).unwrap();
  let mut errs = Vec::new();
  let mut checked = 0;
  for line in text.lines() {
    let parts: Vec<&str> = line.split_whitespace().collect();
    if let Some((s, f)) = parts[0].split_once('.') {
      let off: usize = parts[1].parse().unwrap();
      let r = rl[s].2.iter().find(|x| x.0 == f).unwrap().1;
      if r != off {
        errs.push(format!("{s}.{f}: offset {off} in C, {r} in Rust"));
      }
    } else {
      let (size, align): (usize, usize) = (parts[1].parse().unwrap(), parts[2].parse().unwrap());
      let (rs, ra, _) = rl[parts[0]];
      if (rs, ra) != (size, align) {
        errs.push(format!("{}: size/align {size}/{align} in C, {rs}/{ra} in Rust", parts[0]));
      }
    }
    checked += 1;
  }
  println!("{checked} sizes and offsets compared with {cc}");
  assert!(checked > 100, "the layout program printed too little:\n{text}");
  assert!(errs.is_empty(), "layouts differ:\n  {}", errs.join("\n  "));
}

#[test]
fn links_and_reports_its_version() {
  // Proves the link works and the loaded library is the ABI this crate was written for.
  let v = unsafe { std::ffi::CStr::from_ptr(tare_sys::tare_version()) }.to_str().unwrap().to_string();
  assert_eq!(unsafe { tare_sys::tare_abi_version() }, tare_sys::TARE_ABI_VERSION);
  let want =
    format!("{}.{}.{}", tare_sys::TARE_VERSION_MAJOR, tare_sys::TARE_VERSION_MINOR, tare_sys::TARE_VERSION_PATCH);
  assert_eq!(v, want);
  let s = unsafe { std::ffi::CStr::from_ptr(tare_sys::tare_status_string(tare_sys::TARE_ERROR_IO)) };
  assert_eq!(s.to_str().unwrap(), "TARE_ERROR_IO");
}

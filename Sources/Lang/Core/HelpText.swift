// What `help` and the REPL's `:help` print: one builtin, a group of builtins (`help("plot")`), a
// variable (its type, its value and the builtins that take it), or the index of every group.
// Prose wraps at a width when one is given (the REPL passes the terminal's); lines indented
// in a doc (formulas, lists) keep their layout.

extension Interpreter {
  /// Help on `name`: a builtin or function, a variable, or a group of builtins by topic
  /// (`"plot"`, `"data"`, `"model"`, `"tensor"`, `"core"`); nil when nothing is called that.
  /// A builtin that is also a topic (`tensor`) shows the builtin, then its group.
  public func help(for name: String) -> String? {
    let topic = registry.group(forTopic: name).map { registry.groupIndex($0, width: host.textWidth) }
    switch globals[name] ?? registry[name].map(Value.builtin) {
    case .builtin(let b): return b.helpText(width: host.textWidth) + (topic.map { "\n" + $0 } ?? "")
    case .function(let f): return f.helpText
    case let v?: return valueHelp(name, v)
    case nil:
      if let c = Interpreter.constant(name) {
        return "\(name): a constant, \(c.typeWithArticle) (a variable named \(name) hides it)\n\(c.description)\n"
      }
      return topic
    }
  }

  /// A variable's type, its printed value and the builtins that take that kind of value.
  func valueHelp(_ name: String, _ v: Value) -> String {
    var s = "\(name): \(v.typeName)\n" + ensureLineEnd(v.description)
    // Handles by any parameter named for them; plain values by the first parameter's type.
    let takers = registry.all.filter { b in
      if case .opaque = v { return b.params.contains { takes($0, v) } }
      return b.params.first.map { takes($0, v) } ?? false
    }.map(\.name)
    if !takers.isEmpty {
      s += wrapProse("builtins that take \(v.typeWithArticle) value: " + takers.joined(separator: ", "), width: host.textWidth, indent: "", hanging: "  ") + "\n"
    }
    return s
  }

  /// Whether a builtin's parameter is for this kind of value: by type for plain values and typed
  /// handles (models, nets); `any` parameters that take several kinds (`data`: a tensor or a
  /// dataset; `history`: a model or its history; `model` of `load_weights`: a model or a net) by
  /// their name.
  private func takes(_ p: Param, _ v: Value) -> Bool {
    switch v {
    case .opaque(let o):
      let hs = p.type.handleTypes
      if !hs.isEmpty { return hs.contains { ObjectIdentifier($0) == ObjectIdentifier(type(of: o)) } }
      guard case .any = p.type else { return false }
      return (o.typeName == "dataset" && p.name == "data")
        || ((o.typeName == "history" || o.typeName == "latent_ebm") && p.name == "history")
        || (["latent_ebm", "energy_net", "generator"].contains(o.typeName) && p.name == "model")
    case .tensor: return p.type.name.hasPrefix("tensor") && p.name != "shape"
    case .list: return p.type.name.hasPrefix("list")
    case .record: return p.type.name.hasPrefix("record") || p.type.name == "fields"
    case .string: return p.type.name.hasPrefix("string") && p.defaultValue == nil
    case .function, .builtin: return p.type.name.hasPrefix("function")
    default: return false
    }
  }
}

extension BuiltinRegistry {
  /// The group a topic names: its name, or a plural or near word (`plots`, `datasets`, `models`).
  public func group(forTopic topic: String) -> BuiltinGroup? {
    let aliases = ["plots": "plot", "figures": "plot", "datasets": "data", "dataset": "data", "models": "model",
                   "training": "model", "tensors": "tensor", "math": "tensor"]
    let name = aliases[topic] ?? topic
    return groups.first { $0.name == name }
  }

  /// One group: its name and summary, then each builtin's short signature and first sentence.
  public func groupIndex(_ g: BuiltinGroup, width: Int?) -> String {
    var s = "\(g.name) — \(g.summary)\n"
    let shown = g.builtins.filter { self[$0.name] === $0 }
    // The summaries start in one column per group, after the signatures (longer ones stand alone).
    let indent = min(36, shown.map(\.shortSignature.count).max() ?? 0) + 4
    for b in shown {
      let sig = b.shortSignature, column = String(repeating: " ", count: indent)
      let head = sig.count <= indent - 4 ? "  " + sig + String(repeating: " ", count: indent - 2 - sig.count) : "  " + sig + "\n" + column
      s += wrapProse(b.summary, width: width.map { $0 + head.count - (head.split(separator: "\n").last?.count ?? 0) }, indent: head, hanging: column) + "\n"
    }
    return s
  }

  /// The text `help()` prints: every group's builtins with their first sentences.
  public func index(width: Int?) -> String {
    groups.map { groupIndex($0, width: width) }.joined(separator: "\n")
      + "\nhelp(\"name\") shows one builtin in full; help(\"plot\"), help(\"data\"), help(\"model\"), help(\"tensor\") one group.\n"
  }
}

extension Builtin {
  /// `train_step(model, x, …)`: the required parameters, and `…` when there are more.
  public var shortSignature: String {
    let required = params.filter { $0.isRequired || $0.variadic }.map { $0.variadic ? $0.name + "…" : $0.name }
    let more = params.contains { !$0.isRequired && !$0.variadic }
    return "\(name)(" + (required + (more ? ["…"] : [])).joined(separator: ", ") + ")"
  }

  /// The doc's first sentence: up to the first full stop and space (not one of "et al.",
  /// "e.g.", "i.e."), its lines joined (a formula inside the sentence included), or up to a
  /// colon that introduces an indented formula or list.
  public var summary: String {
    let lines = doc.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var taken: [String] = []
    for (i, line) in lines.enumerated() {
      if line.isEmpty { break }
      taken.append(line.trimmingCharacters(in: " "))
      // A colon before an indented formula or list ends the summary there.
      if line.hasSuffix(":"), i + 1 < lines.count, lines[i + 1].first == " " { break }
    }
    let text = taken.joined(separator: " ")
    let chars = Array(text + " ")
    for i in chars.indices where chars[i] == "." && i + 1 < chars.count && chars[i + 1] == " " {
      let word = String(chars[..<i].reversed().prefix { $0 != " " && $0 != "(" }.reversed()).lowercased()
      if ["al", "e.g", "i.e", "cf", "vs", "etc"].contains(word) || word.count <= 1 { continue }
      return String(chars[...i])
    }
    return text
  }

  /// The text `help(name)` prints: the signature, the parameter types, then the doc, its prose
  /// wrapped at `width` when given (as written otherwise).
  public func helpText(width: Int?) -> String {
    guard let width else { return helpText }
    var s = wrapProse(signature + "    [\(group)]", width: width, indent: "", hanging: "    ") + "\n"
    let typed = params.filter { if case .any = $0.type { return false }; return true }
    if !typed.isEmpty {
      s += wrapProse(typed.map { "\($0.name): \($0.type.name)" }.joined(separator: ", "), width: width, indent: "  ", hanging: "  ") + "\n"
    }
    for p in docParagraphs(doc) {
      s += (p.verbatim ? "  " + p.text : wrapProse(p.text, width: width, indent: "  ", hanging: "  ")) + "\n"
    }
    return s
  }
}

/// A doc's paragraphs: runs of prose lines joined with spaces, and indented or bulleted lines
/// (formulas, lists) kept verbatim, one each.
func docParagraphs(_ doc: String) -> [(verbatim: Bool, text: String)] {
  var out: [(verbatim: Bool, text: String)] = []
  var prose: [String] = []
  func flush() { if !prose.isEmpty { out.append((false, prose.joined(separator: " "))); prose = [] } }
  for line in doc.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
    if line.first == " " || line.first == "\t" || line.hasPrefix("- ") || line.hasPrefix("• ") {
      flush(); out.append((true, line))
    } else if line.isEmpty {
      flush(); out.append((true, ""))
    } else {
      prose.append(line)
    }
  }
  flush()
  return out
}

/// `text` broken at spaces into lines of at most `width` columns (a longer word stays whole):
/// the first line starts with `indent`, the others with `hanging`. Unchanged when width is nil.
func wrapProse(_ text: String, width: Int?, indent: String, hanging: String) -> String {
  guard let width, indent.count + text.count > width else { return indent + text }
  var lines: [String] = [], line = indent, lineHasWord = false
  for word in text.split(separator: " ", omittingEmptySubsequences: true) {
    if lineHasWord && line.count + 1 + word.count > width {
      lines.append(line)
      line = hanging + word
    } else {
      line += (lineHasWord ? " " : "") + word
    }
    lineHasWord = true
  }
  lines.append(line)
  return lines.joined(separator: "\n")
}

func ensureLineEnd(_ s: String) -> String { s.hasSuffix("\n") ? s : s + "\n" }

// MathText: a small mathtext for figure text. Text outside `$…$` is drawn as written; inside, `_x`
// and `_{…}` lower a smaller subscript, `^x` and `^{…}` raise a superscript, `\alpha`…`\omega`,
// the capital Greek letters that differ from Latin and a few symbols become their characters, and
// Latin and lowercase Greek letters are italic (DejaVu Sans Oblique). Layout is a pure function of
// the text and a measuring function, so ``Canvas`` measures and draws from the same runs, and tests
// check it without cairo. Malformed math never fails: it is drawn as written.

/// Figure text laid out as runs of one size, style and baseline each.
public struct MathText: Equatable, Sendable {
  /// One piece of text drawn at one size, style and baseline.
  public struct Run: Equatable, Sendable {
    /// The characters.
    public var text: String
    /// Font size in layout units.
    public var size: Double
    /// Where the run starts, in layout units from the start of the text.
    public var x: Double
    /// How far the run's baseline sits above the text's baseline, in layout units (negative:
    /// below, for subscripts).
    public var rise: Double
    /// Drawn in the oblique face (math letters).
    public var italic: Bool

    /// A run.
    public init(text: String, size: Double, x: Double, rise: Double, italic: Bool) {
      self.text = text
      self.size = size
      self.x = x
      self.rise = rise
      self.italic = italic
    }
  }

  /// The runs, in drawing order.
  public let runs: [Run]
  /// The advance width of the whole text in layout units.
  public let width: Double

  /// Size of a script relative to the text's size: 0.7 for a first-level script, 0.5 below that.
  static func scriptScale(_ scale: Double) -> Double { scale >= 1 ? 0.7 : 0.5 }
  /// How far a superscript's baseline is raised, as a fraction of its base's size.
  static let superscriptRise = 0.36
  /// How far a subscript's baseline is lowered, as a fraction of its base's size.
  static let subscriptDrop = 0.18
  /// How much further both scripts move apart when a base has both (`x_i^2`), so they do not touch.
  static let bothScriptsApart = 0.06

  /// Whether `text` holds math (a closed `$…$` pair) or an escaped `\$`: plain text is measured
  /// and drawn as one run, as before there was math.
  public static func hasMath(_ text: String) -> Bool {
    guard let first = text.firstIndex(of: "$") else { return false }
    return text[text.index(after: first)...].contains("$") || text.contains("\\$")
  }

  /// Runs already laid out.
  public init(runs: [Run], width: Double) {
    self.runs = runs
    self.width = width
  }

  /// `text` with a `$` added when it ends inside math (a text cut short, as ``fit`` cuts it), so
  /// that what is kept still draws as math; a backslash left dangling at the end is dropped.
  static func closingOpenMath(_ text: String) -> String {
    let chars = Array(text)
    var open = false
    var i = 0
    while i < chars.count {
      if chars[i] == "\\", open || (i + 1 < chars.count && chars[i + 1] == "$") {
        i += 2
        continue
      }
      if chars[i] == "$" { open.toggle() }
      i += 1
    }
    guard open else { return text }
    return (chars.last == "\\" && i == chars.count + 1 ? String(chars.dropLast()) : text) + "$"
  }

  /// Lays out `text` at font size `size`; `measure(run, size, italic)` gives a run's advance width.
  public init(_ text: String, size: Double, measure: (String, Double, Bool) -> Double) {
    var runs: [Run] = []
    var x = 0.0
    MathText.place(MathText.parse(text), size: size, scale: 1, rise: 0, x: &x, into: &runs, measure: measure)
    self.runs = runs
    self.width = x
  }

  /// Appends the runs of `items` at relative size `scale` and baseline `rise`, starting at `x`,
  /// and moves `x` past them.
  static func place(
    _ items: [Item], size: Double, scale: Double, rise: Double, x: inout Double, into runs: inout [Run],
    measure: (String, Double, Bool) -> Double
  ) {
    for item in items {
      switch item {
      case .text(let s, let italic):
        let fontSize = size * scale
        runs.append(Run(text: s, size: fontSize, x: x, rise: rise, italic: italic))
        x += measure(s, fontSize, italic)
      case .scripts(let sub, let sup):
        // Both scripts start where their base ends; the wider one sets the advance.
        let s = scriptScale(scale)
        let apart = sub != nil && sup != nil ? bothScriptsApart : 0
        let start = x
        var end = x
        if let sup {
          var xs = start
          let up = (superscriptRise + apart) * size * scale
          place(sup, size: size, scale: s, rise: rise + up, x: &xs, into: &runs, measure: measure)
          end = Swift.max(end, xs)
        }
        if let sub {
          var xs = start
          let down = (subscriptDrop + apart) * size * scale
          place(sub, size: size, scale: s, rise: rise - down, x: &xs, into: &runs, measure: measure)
          end = Swift.max(end, xs)
        }
        x = end
      }
    }
  }

  // MARK: - Parsing

  /// A parsed piece of text: characters in one style, or the scripts of what comes before.
  indirect enum Item: Equatable {
    case text(String, italic: Bool)
    case scripts(sub: [Item]?, sup: [Item]?)
  }

  /// The items of `text`: literal text outside `$…$` (with `\$` for a dollar sign), math inside.
  /// A `$` without its closing `$`, and math that does not parse (an unclosed brace, `_` or `^`
  /// with nothing after), are kept as written.
  static func parse(_ text: String) -> [Item] {
    let chars = Array(text)
    var items: [Item] = []
    var literal = ""
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == "\\", i + 1 < chars.count, chars[i + 1] == "$" {
        literal.append("$")
        i += 2
        continue
      }
      guard c == "$", let close = closingDollar(chars, from: i + 1) else {
        literal.append(c)
        i += 1
        continue
      }
      let source = Array(chars[(i + 1)..<close])
      var parser = MathParser(chars: source)
      if let math = parser.list(closer: nil) {
        if !literal.isEmpty { MathParser.append([.text(literal, italic: false)], to: &items) }
        literal = ""
        MathParser.append(math, to: &items)
      } else {
        literal += "$" + String(source) + "$"
      }
      i = close + 1
    }
    if !literal.isEmpty { MathParser.append([.text(literal, italic: false)], to: &items) }
    return items
  }

  /// The index of the `$` that closes math opened before `start` (a `\$` inside math is a dollar
  /// sign, not the end), or nil.
  static func closingDollar(_ chars: [Character], from start: Int) -> Int? {
    var j = start
    while j < chars.count {
      if chars[j] == "\\" {
        j += 2
        continue
      }
      if chars[j] == "$" { return j }
      j += 1
    }
    return nil
  }

  /// Greek letters and symbols by command name, and whether each is italic.
  static let symbols: [String: (String, Bool)] = {
    var t: [String: (String, Bool)] = [:]
    let lower: [(String, String)] = [
      ("alpha", "α"), ("beta", "β"), ("gamma", "γ"), ("delta", "δ"), ("epsilon", "ϵ"), ("varepsilon", "ε"),
      ("zeta", "ζ"), ("eta", "η"), ("theta", "θ"), ("vartheta", "ϑ"), ("iota", "ι"), ("kappa", "κ"),
      ("lambda", "λ"), ("mu", "μ"), ("nu", "ν"), ("xi", "ξ"), ("pi", "π"), ("rho", "ρ"), ("sigma", "σ"),
      ("varsigma", "ς"), ("tau", "τ"), ("upsilon", "υ"), ("phi", "ϕ"), ("varphi", "φ"), ("chi", "χ"),
      ("psi", "ψ"), ("omega", "ω"),
    ]
    for (name, c) in lower { t[name] = (c, true) }
    let upright: [(String, String)] = [
      ("Gamma", "Γ"), ("Delta", "Δ"), ("Theta", "Θ"), ("Lambda", "Λ"), ("Xi", "Ξ"), ("Pi", "Π"),
      ("Sigma", "Σ"), ("Upsilon", "Υ"), ("Phi", "Φ"), ("Psi", "Ψ"), ("Omega", "Ω"),
      ("nabla", "∇"), ("partial", "∂"), ("cdot", "·"), ("times", "×"), ("sim", "∼"), ("approx", "≈"),
      ("le", "≤"), ("leq", "≤"), ("ge", "≥"), ("geq", "≥"), ("ne", "≠"), ("neq", "≠"), ("infty", "∞"),
      ("pm", "±"), ("to", "→"), ("rightarrow", "→"), ("leftarrow", "←"), ("in", "∈"), ("propto", "∝"),
      ("sum", "∑"), ("prod", "∏"), ("ldots", "…"), ("cdots", "⋯"), ("langle", "⟨"), ("rangle", "⟩"),
    ]
    for (name, c) in upright { t[name] = (c, false) }
    for word in ["log", "exp", "ln", "min", "max", "sin", "cos", "tan", "tanh", "det", "arg", "lim"] {
      t[word] = (word, false)
    }
    return t
  }()

  /// What `\c` gives for a character `c` that is not a letter.
  static let escapes: [Character: String] = [
    "|": "‖", ",": "\u{2009}", ";": "\u{2005}", " ": " ", "{": "{", "}": "}", "$": "$", "_": "_",
    "^": "^", "\\": "\\", "%": "%", "#": "#", "&": "&",
  ]
}

/// Reads the inside of one `$…$`.
struct MathParser {
  let chars: [Character]
  var i = 0

  init(chars: [Character]) { self.chars = chars }

  /// Items up to `closer` (`}`, consumed) or the end; nil when malformed.
  mutating func list(closer: Character?, upright: Bool = false) -> [MathText.Item]? {
    var items: [MathText.Item] = []
    while i < chars.count {
      let c = chars[i]
      if c == "}", closer == "}" {
        i += 1
        return items
      }
      switch c {
      case "{":
        i += 1
        guard let group = list(closer: "}", upright: upright) else { return nil }
        MathParser.append(group, to: &items)
      case "_", "^":
        i += 1
        guard let arg = argument(upright: upright) else { return nil }
        attach(arg, sup: c == "^", to: &items)
      case "\\":
        guard let piece = command(upright: upright) else { return nil }
        MathParser.append(piece, to: &items)
      default:
        i += 1
        MathParser.append([MathParser.character(c, upright: upright)], to: &items)
      }
    }
    return closer == nil ? items : nil
  }

  /// Appends `new` to `items`, joining text of one style with the text before it (one run each).
  static func append(_ new: [MathText.Item], to items: inout [MathText.Item]) {
    for item in new {
      if case .text(let s, let italic) = item, case .text(let t, let italic0) = items.last, italic == italic0 {
        items[items.count - 1] = .text(t + s, italic: italic)
      } else {
        items.append(item)
      }
    }
  }

  /// A script's argument: a braced group, one command, or one character; nil when there is none.
  mutating func argument(upright: Bool) -> [MathText.Item]? {
    while i < chars.count, chars[i] == " " { i += 1 }
    guard i < chars.count else { return nil }
    switch chars[i] {
    case "{":
      i += 1
      return list(closer: "}", upright: upright)
    case "\\":
      return command(upright: upright)
    case "}", "_", "^":
      return nil
    case let c:
      i += 1
      return [MathParser.character(c, upright: upright)]
    }
  }

  /// A `\command` at `i`: a symbol, an upright word, `\mathrm{…}` or `\text{…}`, an escaped
  /// character, or an unknown name drawn as written.
  mutating func command(upright: Bool) -> [MathText.Item]? {
    i += 1  // the backslash
    guard i < chars.count else { return [.text("\\", italic: false)] }
    guard chars[i].isASCII, chars[i].isLetter else {
      let c = chars[i]
      i += 1
      return [.text(MathText.escapes[c] ?? "\\" + String(c), italic: false)]
    }
    var name = ""
    while i < chars.count, chars[i].isASCII, chars[i].isLetter {
      name.append(chars[i])
      i += 1
    }
    if name == "mathrm" || name == "text" {
      guard let arg = argument(upright: true) else { return nil }
      return arg
    }
    guard let (s, italic) = MathText.symbols[name] else { return [.text("\\" + name, italic: false)] }
    return [.text(s, italic: italic && !upright)]
  }

  /// One character in math: letters italic (unless `upright`), `-` as a minus sign.
  static func character(_ c: Character, upright: Bool) -> MathText.Item {
    if c == "-" { return .text("−", italic: false) }
    let italic = !upright && c.isLetter && (c.isASCII || ("α"..."ω").contains(c))
    return .text(String(c), italic: italic)
  }

  /// Puts a script after `items`: into the scripts just before when its slot is free (`x_a^b`),
  /// otherwise as new scripts.
  func attach(_ arg: [MathText.Item], sup: Bool, to items: inout [MathText.Item]) {
    if case .scripts(let sub0, let sup0) = items.last {
      if sup, sup0 == nil {
        items[items.count - 1] = .scripts(sub: sub0, sup: arg)
        return
      }
      if !sup, sub0 == nil {
        items[items.count - 1] = .scripts(sub: arg, sup: sup0)
        return
      }
    }
    items.append(sup ? .scripts(sub: nil, sup: arg) : .scripts(sub: arg, sup: nil))
  }
}

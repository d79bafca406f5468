// Simple TeX as plain Unicode text, for math in the terminal: Greek letters and common symbols
// by name, ^ and _ as super- and subscripts where Unicode has them, \frac and \sqrt spelled out.
// What it does not know it leaves as written, so the reader still sees the TeX.

/// TeX → Unicode text for the terminal.
public enum TeXText {
  /// `tex` as Unicode: `\|\nabla_z E(z)\|^2` → `‖∇_z E(z)‖²`.
  public static func unicode(_ tex: String) -> String {
    let c = Array(tex)
    var i = 0
    return render(c, &i, until: nil)
  }

  static let symbols: [String: String] = [
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "nabla": "∇", "partial": "∂", "infty": "∞", "sum": "∑", "prod": "∏", "int": "∫", "sqrt": "√",
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥",
    "ne": "≠", "neq": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "equiv": "≡", "propto": "∝", "in": "∈",
    "notin": "∉", "subset": "⊂", "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃", "to": "→",
    "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "mapsto": "↦", "gets": "←", "top": "⊤",
    "perp": "⊥", "circ": "∘", "ldots": "…", "cdots": "⋯", "dots": "…", "langle": "⟨", "rangle": "⟩",
    "|": "‖", "Vert": "‖", "vert": "|", "mid": "|", "lVert": "‖", "rVert": "‖", "lvert": "|", "rvert": "|",
    "{": "{", "}": "}", "$": "$", "%": "%", "_": "_", "#": "#", "&": "&", ",": " ", ";": " ", ":": " ", "!": "",
    "quad": "  ", "qquad": "    ", " ": " ", "log": "log", "exp": "exp", "max": "max", "min": "min",
    "arg": "arg", "sin": "sin", "cos": "cos", "tanh": "tanh", "det": "det", "lim": "lim", "ell": "ℓ",
    "star": "⋆", "ast": "∗", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "emptyset": "∅",
    "left": "", "right": "", "big": "", "Big": "", "bigg": "", "Bigg": "", "displaystyle": "",
  ]

  /// Letters with a double-struck or script form (`\mathbb{R}`, `\mathcal{N}`).
  static let blackboard: [Character: String] = ["R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"]
  static let calligraphic: [Character: String] = ["N": "𝒩", "L": "ℒ", "D": "𝒟", "O": "𝒪", "X": "𝒳", "Z": "𝒵", "F": "ℱ", "H": "ℋ"]

  static let superscripts: [Character: Character] = [
    "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹",
    "+": "⁺", "-": "⁻", "=": "⁼", "(": "⁽", ")": "⁾", "n": "ⁿ", "i": "ⁱ", "T": "ᵀ", "⊤": "ᵀ", "a": "ᵃ",
    "b": "ᵇ", "c": "ᶜ", "d": "ᵈ", "e": "ᵉ", "k": "ᵏ", "m": "ᵐ", "t": "ᵗ", "x": "ˣ", "*": "*", "′": "′",
  ]
  static let subscripts: [Character: Character] = [
    "0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅", "6": "₆", "7": "₇", "8": "₈", "9": "₉",
    "+": "₊", "-": "₋", "=": "₌", "(": "₍", ")": "₎", "a": "ₐ", "e": "ₑ", "h": "ₕ", "i": "ᵢ", "j": "ⱼ",
    "k": "ₖ", "l": "ₗ", "m": "ₘ", "n": "ₙ", "o": "ₒ", "p": "ₚ", "r": "ᵣ", "s": "ₛ", "t": "ₜ", "u": "ᵤ",
    "v": "ᵥ", "x": "ₓ", "β": "ᵦ", "γ": "ᵧ", "ρ": "ᵨ", "φ": "ᵩ", "χ": "ᵪ",
  ]

  /// Renders from `i` up to the closing `until` (consumed) or the end.
  static func render(_ c: [Character], _ i: inout Int, until: Character?) -> String {
    var out = ""
    while i < c.count {
      let ch = c[i]
      if let until, ch == until {
        i += 1
        return out
      }
      switch ch {
      case "\\":
        out += command(c, &i)
      case "{":
        i += 1
        out += render(c, &i, until: "}")
      case "^", "_":
        i += 1
        let arg = argument(c, &i)
        let table = ch == "^" ? superscripts : subscripts
        let mapped = arg.map { table[$0] }
        if !arg.isEmpty, mapped.allSatisfy({ $0 != nil }) {
          out += String(mapped.compactMap { $0 })
        } else {
          out += String(ch) + (arg.count == 1 ? arg : "{\(arg)}")
        }
      case "~":
        out += " "
        i += 1
      default:
        out.append(ch)
        i += 1
      }
    }
    return out
  }

  /// One argument: a `{group}`, a command, or a character; rendered.
  static func argument(_ c: [Character], _ i: inout Int) -> String {
    while i < c.count, c[i] == " " { i += 1 }
    guard i < c.count else { return "" }
    if c[i] == "{" {
      i += 1
      return render(c, &i, until: "}")
    }
    if c[i] == "\\" { return command(c, &i) }
    defer { i += 1 }
    return String(c[i])
  }

  /// A command at `c[i] == "\\"`.
  static func command(_ c: [Character], _ i: inout Int) -> String {
    i += 1
    guard i < c.count else { return "\\" }
    var name = ""
    if c[i].isLetter {
      while i < c.count, c[i].isLetter, c[i].isASCII {
        name.append(c[i])
        i += 1
      }
    } else {
      name = String(c[i])
      i += 1
    }
    switch name {
    case "frac", "dfrac", "tfrac":
      let a = argument(c, &i), b = argument(c, &i)
      return "\(group(a))/\(group(b))"
    case "sqrt":
      return "√" + group(argument(c, &i))
    case "mathbb":
      let a = argument(c, &i)
      return String(a.map { blackboard[$0] ?? String($0) }.joined())
    case "mathcal":
      let a = argument(c, &i)
      return String(a.map { calligraphic[$0] ?? String($0) }.joined())
    case "mathbf", "mathrm", "mathit", "boldsymbol", "bm", "text", "textrm", "operatorname", "mathsf", "mathtt":
      return argument(c, &i)
    case "hat": return argument(c, &i) + "\u{302}"
    case "tilde": return argument(c, &i) + "\u{303}"
    case "bar", "overline": return argument(c, &i) + "\u{304}"
    case "dot": return argument(c, &i) + "\u{307}"
    case "vec": return argument(c, &i) + "\u{20D7}"
    default:
      if let s = symbols[name] { return s }
      return "\\" + name
    }
  }

  /// `a` as it reads in a fraction: bare when one token, else in parentheses.
  static func group(_ a: String) -> String {
    a.count <= 1 || a.allSatisfy({ $0.isLetter || $0.isNumber }) ? a : "(\(a))"
  }
}

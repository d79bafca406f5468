// AST: what the parser produces and the interpreter walks. Every node keeps its source span.

/// A parameter of a function declaration: `a` or `b: 2` (with a default).
public struct ParamDecl: Sendable {
  public var name: String
  public var defaultValue: Expr?
}

/// One argument of a call: positional `x` or keyword `n: 5`.
public struct Argument: Sendable {
  public var label: String?
  public var value: Expr
  /// Where the keyword is written (`n` of `n: 5`), for errors about it.
  public var labelSpan: SourceSpan? = nil
}

/// One item inside `[...]` after a value: an index `i` or a slice `a:b:c` (any part optional).
public enum IndexItem: Sendable {
  case index(Expr)
  case slice(start: Expr?, end: Expr?, step: Expr?)
}

public enum BinaryOperator: String, Sendable {
  case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "**", matmul = "@"
  case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="
}

/// A function's code, shared by every closure made from it.
public final class FunctionDecl: Sendable {
  public let name: String?
  public let params: [ParamDecl]
  public let body: [Stmt]
  public let span: SourceSpan
  public let file: String

  init(name: String?, params: [ParamDecl], body: [Stmt], span: SourceSpan, file: String) {
    self.name = name
    self.params = params
    self.body = body
    self.span = span
    self.file = file
  }
}

/// An expression node.
public indirect enum Expr: Sendable {
  case number(Double, SourceSpan)
  case string([InterpolatedPart], SourceSpan)
  case bool(Bool, SourceSpan)
  case none(SourceSpan)
  case variable(String, SourceSpan)
  case list([Expr], SourceSpan)
  case record([(String, Expr)], SourceSpan)
  case unary(String, Expr, SourceSpan)  // "-" or "not"
  case binary(BinaryOperator, Expr, Expr, SourceSpan)
  case logical(isAnd: Bool, Expr, Expr, SourceSpan)
  case range(Expr, Expr, inclusive: Bool, SourceSpan)
  case call(Expr, [Argument], SourceSpan)
  case index(Expr, [IndexItem], SourceSpan)
  case field(Expr, String, SourceSpan)
  case function(FunctionDecl)
  case ifExpr([(Expr, [Stmt])], elseBody: [Stmt]?, SourceSpan)

  public var span: SourceSpan {
    switch self {
    case let .number(_, s), let .string(_, s), let .bool(_, s), let .none(s), let .variable(_, s),
      let .list(_, s), let .record(_, s), let .unary(_, _, s), let .binary(_, _, _, s),
      let .logical(_, _, _, s), let .range(_, _, _, s), let .call(_, _, s), let .index(_, _, s),
      let .field(_, _, s), let .ifExpr(_, _, s):
      return s
    case let .function(d): return d.span
    }
  }
}

/// A piece of a string literal after parsing.
public enum InterpolatedPart: Sendable {
  case text(String)
  /// An interpolated expression and its format spec (`.4f`, `8.2e`, `d`, …), if any.
  case expr(Expr, format: String?)
}

/// Assignment operators.
public enum AssignOperator: String, Sendable {
  case assign = "=", add = "+=", sub = "-=", mul = "*=", div = "/="

  var binary: BinaryOperator? {
    switch self {
    case .assign: return nil
    case .add: return .add
    case .sub: return .sub
    case .mul: return .mul
    case .div: return .div
    }
  }
}

/// A statement node.
public indirect enum Stmt: Sendable {
  case expression(Expr)
  case assign(target: Expr, AssignOperator, Expr, SourceSpan)
  case function(FunctionDecl)
  case forIn(variable: String, Expr, body: [Stmt], SourceSpan)
  case whileLoop(Expr, body: [Stmt], SourceSpan)
  case breakLoop(SourceSpan)
  case continueLoop(SourceSpan)
  case returnValue(Expr?, SourceSpan)
  case importFile(String, SourceSpan)

  public var span: SourceSpan {
    switch self {
    case let .expression(e): return e.span
    case let .assign(_, _, _, s), let .forIn(_, _, _, s), let .whileLoop(_, _, s), let .breakLoop(s),
      let .continueLoop(s), let .returnValue(_, s), let .importFile(_, s):
      return s
    case let .function(d): return d.span
    }
  }
}

// Lists and records nest at most `maxNestingDepth` levels: every way of building a deeper one stops
// with an error naming the limit and the line, so no value is too deep to free, compare or print.
import Testing

@testable import Lang

extension LangSuite {
  /// The error a script stops with, checked to be the nesting limit's, at `line`.
  private func expectNestingError(_ source: String, line: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let e = errorOf(source) else {
      Issue.record("expected the nesting error", sourceLocation: sourceLocation)
      return
    }
    #expect(e.message == "lists and records nested deeper than 1000 levels", sourceLocation: sourceLocation)
    #expect(e.span.line == line, sourceLocation: sourceLocation)
  }

  @Test func everyWayOfNestingDeeperStopsWithAnError() {
    expectNestingError("x = []\nfor i in 1..100000 { x = [x] }\nprint(\"built\")", line: 2)
    expectNestingError("r = {}\nfor i in 1..1000000 { r = {inner: r} }", line: 2)
    expectNestingError("r = {}\nfor i in 1..5000 {\n  r.inner = r\n}", line: 3)
    expectNestingError("x = [0]\nfor i in 1..5000 {\n  x[0] = x\n}", line: 3)
    expectNestingError("r = {a: 1}\nfor i in 1..5000 {\n  r[\"a\"] = r\n}", line: 3)
    expectNestingError("d = []\nxs = []\nfor i in 1..5000 {\n  d = append([], d)\n  xs = append(xs, d)\n}", line: 5)
    expectNestingError("x = []\nfor i in 1..5000 { y = append([], x)\n x = y }", line: 2)
    expectNestingError("x = []\nfor i in 1..5000 {\n  x = map([1], fn(v) { x })\n}", line: 3)
    expectNestingError("x = []\nfor i in 1..5000 {\n  x = timing(fn() { x })\n}", line: 3)
  }

  @Test func aTensorOfHighRankIsNotTurnedIntoDeepLists() {
    let (_, r) = run("shape = []\nfor i in 1..1001 { shape += [1] }\nt = reshape(tensor([5]), shape)\nl = to_list(t)")
    #expect(r.error?.message == "to_list: a tensor of rank 1001 makes lists nested deeper than 1000 levels")
    #expect(r.error?.span.line == 4)
  }

  @Test func valuesAtTheLimitComparePrintAndFree() {
    let source = """
      x = []
      y = []
      for i in 1..999 {
        x = [x]
        y = [y]
      }
      print(x == y, x[0] != y)
      s = str(x)
      r = {}
      for i in 1..999 { r = {inner: r} }
      print(r == r, len(s) > 0)
      """
    let (out, r) = run(source)
    #expect(r.error == nil)
    #expect(out == "true true\ntrue true\n")
  }

  @Test func joiningListsDoesNotDeepen() {
    // `+` keeps the deeper side's depth, so joining values at the limit is fine.
    let (_, r) = run("x = []\nfor i in 1..999 { x = [x] }\ny = x + x + [1]\nlen(y)")
    #expect(r.value == .number(3))
  }

  @Test func sharedListsAreCheckedOnce() {
    // Each step doubles the tree (not the memory): checking must not walk every path.
    let (_, r) = run("x = []\nfor i in 1..60 { x = append(x, x) }\ny = [x, x]\nr = {}\nfor i in 1..60 { r = {a: r, b: r, c: [r, r]} }\nlen(x)")
    #expect(r.value == .number(60))
  }

  @Test func nestingDepthCountsLevels() {
    #expect(Value.number(1).nestingDepth(limit: 10) == 0)
    #expect(Value.list([]).nestingDepth(limit: 10) == 1)
    #expect(Value.list([.list([.number(1)]), .record(Record([("a", .list([.list([])]))]))]).nestingDepth(limit: 10) == 4)
    var deep = Value.list([])
    for _ in 0..<50 { deep = .list([deep]) }
    #expect(deep.nestingDepth(limit: 10) > 10)
    #expect(deep.nestingDepth(limit: 100) == 51)
  }
}

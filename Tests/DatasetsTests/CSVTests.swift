import Engine
import Testing
@testable import Datasets

@Suite struct CSVTests {
  @Test func headerDetectedAndSkipped() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let p = try dir.write("x,y\n1,2\r\n3, 4.5\n\n# a comment\n-1e-1,6\n", "pts.csv")
    let d = try Dataset.csv(p)
    #expect(d.x.shape == [3, 2] && d.x.scalars == [1, 2, 3, 4.5, -0.1, 6])
    #expect(d.labels == nil && d.name == "pts")
    let q = try dir.write("1,2\n3,4\n", "plain.csv")
    #expect(try Dataset.csv(q).x.shape == [2, 2])
    #expect(try Dataset.csv(q, header: true).x.shape == [1, 2])
    let quoted = try dir.write("\"a\",\"b\"\n\"1\",2\n", "q.csv")
    #expect(try Dataset.csv(quoted).x.scalars == [1, 2])
  }

  @Test func whitespaceSeparated() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let p = try dir.write("  1 2\t3\n4   5 6  \n", "ws.txt")
    #expect(try Dataset.csv(p).x.scalars == [1, 2, 3, 4, 5, 6])
  }

  @Test func labelColumn() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let p = try dir.write("a,label,b\n1,2,3\n4,0,5\n", "l.csv")
    let d = try Dataset.csv(p, labelColumn: 1)
    #expect(d.x.shape == [2, 2] && d.x.scalars == [1, 3, 4, 5])
    #expect(d.labels == [2, 0] && d.classes == 3)
    // Text labels become sorted class names; the header is still found with a text label column.
    let q = try dir.write("1.0,2.0,setosa\n3,4,virginica\n5,6,setosa\n", "iris.csv")
    let e = try Dataset.csv(q, labelColumn: -1)
    #expect(e.x.shape == [3, 2] && e.labels == [0, 1, 0] && e.classNames == ["setosa", "virginica"])
    let out = errorMessage { try Dataset.csv(q, labelColumn: 3) }
    #expect(out?.contains("label column 3 is out of range") == true)
    let neg = try dir.write("1,0\n2,-1\n", "neg.csv")
    #expect(errorMessage { try Dataset.csv(neg, labelColumn: 1) } == "\(neg):2:3: label -1 is negative")
  }

  @Test func badCellNamesLineAndColumn() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let p = try dir.write("x,y\n1,2\n3,abc\n", "bad.csv")
    #expect(errorMessage { try Dataset.csv(p) } == "\(p):3:3: \"abc\" is not a number")
    let empty = try dir.write("1,2\n3,\n", "e.csv")
    #expect(errorMessage { try Dataset.csv(empty) } == "\(empty):2:3: empty cell")
    let ragged = try dir.write("1,2\n3,4,5\n", "r.csv")
    #expect(errorMessage { try Dataset.csv(ragged) } == "\(ragged):2:5: 3 cells, expected 2")
    let nan = try dir.write("1,2\n3,nan\n", "n.csv")
    #expect(errorMessage { try Dataset.csv(nan) }?.hasPrefix("\(nan):2:3:") == true)
    let none = try dir.write("\n# nothing\n", "none.csv")
    #expect(errorMessage { try Dataset.csv(none) } == "\(none): no rows of data")
    let onlyHeader = try dir.write("a,b\n", "h.csv")
    #expect(errorMessage { try Dataset.csv(onlyHeader) }?.contains("a header row and no data") == true)
    #expect(errorMessage { try Dataset.csv(dir.file("missing.csv")) }?.hasSuffix("no such file or folder") == true)
  }
}

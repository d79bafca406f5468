// NumPy's .npy format: lebm's files read back, the dtypes NumPy writes converted, and every bad
// file an error naming the file and what is wrong (NumPy's side is in LangTests/NPYInteropTests).
import Engine
import Foundation
import Testing
@testable import Datasets

@Suite struct NPYTests {
  /// A .npy file as NumPy 1.0 writes it: `header` (the dict) padded to 64 bytes, then `data`.
  static func npy(_ header: String, _ data: [UInt8] = [], version: UInt8 = 1, declared: Int? = nil) -> [UInt8] {
    var h = Array(header.utf8)
    let prefix = version == 1 ? 10 : 12
    while (prefix + h.count + 1) % 64 != 0 { h.append(0x20) }
    h.append(0x0A)
    let n = declared ?? h.count
    let length: [UInt8] = version == 1 ? [UInt8(n & 255), UInt8(n >> 8 & 255)]
      : [UInt8(n & 255), UInt8(n >> 8 & 255), UInt8(n >> 16 & 255), UInt8(n >> 24 & 255)]
    return [0x93] + Array("NUMPY".utf8) + [version, 0] + length + h + data
  }

  static func header(_ descr: String, _ shape: String, fortran: String = "False") -> String {
    "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
  }

  static func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

  @Test func writesWhatNumPyWritesAndReadsItBack() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let t = try Tensor(shape: [2, 3], scalars: [1, 2.5, -3, 4e-5, .greatestFiniteMagnitude, -0.0])
    try NPY.write(t, to: dir.file("t.npy"))
    let file = try FileIO.read(dir.file("t.npy"), limit: 1 << 20)
    // NumPy's own bytes for np.save(path, a) of a float32 [2, 3] array.
    #expect(file == Self.npy(Self.header("<f4", "(2, 3)"), Self.bytes(t.scalars)))
    let back = try NPY.read(dir.file("t.npy"))
    #expect(back.shape == [2, 3] && back.scalars.map(\.bitPattern) == t.scalars.map(\.bitPattern))
    for shape in [[], [0], [5], [1, 1, 1, 2]] {
      let u = try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map(Float.init))
      let read = try NPY.decode(NPY.encode(u), path: "u.npy")
      #expect(read.shape == shape && read.scalars == u.scalars, "\(shape)")
    }
    #expect(String(decoding: NPY.encode(try Tensor(shape: [4], scalars: [0, 0, 0, 0])).prefix(128), as: UTF8.self)
      .contains("'shape': (4,), }"))
  }

  @Test func convertsTheNumericDTypes() throws {
    func read(_ descr: String, _ data: [UInt8], _ shape: String = "(2,)") throws -> [Float] {
      try NPY.decode(Self.npy(Self.header(descr, shape), data), path: "x.npy").scalars
    }
    #expect(try read("<f8", Self.bytes([0.1, -2.0])) == [Float(0.1), -2])
    #expect(try read("<f2", Self.bytes([Float16(1.5), Float16(-0.25)])) == [1.5, -0.25])
    #expect(try read("|u1", [0, 255]) == [0, 255])
    #expect(try read("|i1", [0x80, 0x7F]) == [-128, 127])
    #expect(try read("<i2", Self.bytes([Int16(-300), 300])) == [-300, 300])
    #expect(try read("<u4", Self.bytes([UInt32.max, 7])) == [4_294_967_296, 7])
    #expect(try read("<i8", Self.bytes([Int64(-3), 1 << 40])) == [-3, 1_099_511_627_776])
    #expect(try read(">f4", Self.bytes([Float(1.5).bitPattern.bigEndian, Float(-2).bitPattern.bigEndian])) == [1.5, -2])
    #expect(try read("<f4", Self.bytes([Float(3)]), "()") == [3])
    #expect(try read("<f4", Self.bytes([Float(3), 4]), "(2L,)") == [3, 4], "Python 2's long sizes")
  }

  @Test func badFilesAreErrorsNamingTheFileAndTheProblem() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let f4 = Self.bytes([Float(1), 2, 3, 4, 5, 6])
    let cases: [([UInt8], String)] = [
      (Array("a,b\n1,2\n".utf8), "not a .npy file: it does not start with \\x93NUMPY"),
      (Array(Self.npy(Self.header("<f4", "(2,)")).prefix(9)), "not a .npy file"),
      (Self.npy(Self.header("<f4", "(2, 3)"), f4, version: 4), "unknown .npy version 4.0"),
      (Self.npy(Self.header("<f4", "(2, 3)"), f4, declared: 60000), "truncated: the header claims 60000 bytes but the file has"),
      (Self.npy(Self.header("<f4", "(2, 3)"), f4, version: 2, declared: 1 << 30), "the header claims 1073741824 bytes, over the limit of 65536"),
      (Self.npy(Self.header("<f4", "(2, 3)", fortran: "True"), f4), "the array is in Fortran order (fortran_order: True)"),
      (Self.npy(Self.header("|O", "(2,)"), [0, 0]), "an object array (dtype '|O'): its values are pickled Python objects"),
      (Self.npy(Self.header("<c8", "(1,)"), f4), "dtype '<c8' is not read; lebm reads f2, f4, f8, i1–i8 and u1–u8"),
      (Self.npy(Self.header("|b1", "(2,)"), [0, 1]), "dtype '|b1' is not read"),
      (Self.npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", f4), "a structured dtype (a list of fields) is not read"),
      (Self.npy(Self.header("<f4", "(2, 4)"), f4), "truncated: shape [2, 4] of <f4 needs 32 bytes of data but the file has 24"),
      (Self.npy(Self.header("<f4", "(2, 2)"), f4), "shape [2, 2] of <f4 needs 16 bytes of data but the file has more (extra bytes at the end)"),
      (Self.npy(Self.header("<f4", "(4294967296, 4294967296, 4294967296)"), f4), "shape [4294967296, 4294967296, 4294967296] has more values than can be counted"),
      (Self.npy(Self.header("<f8", "(2305843009213693952,)"), f4), "shape [2305843009213693952] of <f8 needs more bytes than can be counted"),
      (Self.npy(Self.header("<f4", "(1073741824,)"), f4), "shape [1073741824]: load_npy: would need 1073741824 elements"),
      (Self.npy(Self.header("<f4", "(-1, 6)"), f4), "is not a tuple of non-negative sizes"),
      (Self.npy("{'descr': '<f4', 'shape': (6,), }", f4), "the keys are [\"descr\", \"shape\"], not descr, fortran_order and shape"),
      (Self.npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", f4), "the key 'descr' is given twice"),
      (Self.npy("__import__('os').system('true')", f4), "corrupt header: not the dict NumPy writes"),
      (Self.npy(Self.header("<f4", "(6,)") + " x", f4), "corrupt header: text after the dict"),
      (Self.npy(Self.header("<f8", "(1,)"), Self.bytes([1e300])), "holds f8 values beyond Float32's range"),
    ]
    for (i, (bytes, problem)) in cases.enumerated() {
      let path = try dir.write(bytes, "bad\(i).npy")
      let message = errorMessage { try NPY.read(path) } ?? "no error"
      #expect(message.hasPrefix(path + ": ") && message.contains(problem), "\(i): \(message)")
    }
    // In memory, extra bytes are counted.
    #expect(errorMessage { try NPY.decode(Self.npy(Self.header("<f4", "(2, 2)"), f4), path: "x.npy") }
      == "x.npy: shape [2, 2] of <f4 needs 16 bytes of data but the file has 24 (8 extra at the end)")
  }

  @Test func refusesWhatIsNotARegularFile() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    #expect(mkfifo(dir.file("f.npy"), 0o600) == 0)
    #expect(errorMessage { try NPY.read(dir.file("f.npy")) } == "\(dir.file("f.npy")): cannot read: is a FIFO (named pipe), not a regular file")
    #expect(errorMessage { try NPY.read(dir.file("none.npy")) } == "\(dir.file("none.npy")): no such file or folder")
    #expect(errorMessage { try NPY.read(dir.path) }?.contains("is a folder") == true)
    #expect(mkfifo(dir.file("out.npy"), 0o600) == 0)
    #expect(errorMessage { try NPY.write(try Tensor(shape: [1], scalars: [1]), to: dir.file("out.npy")) }
      == "'\(dir.file("out.npy"))': is a FIFO (named pipe), not a regular file; lebm writes only regular files")
  }
}

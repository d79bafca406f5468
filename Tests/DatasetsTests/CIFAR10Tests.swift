import Engine
import Testing
@testable import Datasets

@Suite struct CIFAR10Tests {
  /// A record: label, then R, G, B planes; pixel j of channel c is `(7 · j + 50 · c + seed) mod 256`.
  func record(label: UInt8, seed: Int) -> [UInt8] {
    [label] + (0..<3).flatMap { c in (0..<1024).map { UInt8(truncatingIfNeeded: 7 * $0 + 50 * c + seed) } }
  }

  @Test func twoRecordRoundTrip() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let bytes = record(label: 3, seed: 0) + record(label: 9, seed: 11)
    let p = try dir.write(bytes, "data_batch_1.bin")
    let d = try Dataset.cifar10(files: [p])
    #expect(d.x.shape == [2, 3, 32, 32])
    #expect(d.labels == [3, 9] && d.classes == 10 && d.classNames?[3] == "cat")
    let expect = (bytes[1..<3073] + bytes[3074..<6146]).map { Float($0) / 127.5 - 1 }
    #expect(d.x.scalars == expect)
    // Channel 1, row 0, column 2 of image 1: (7 · 2 + 50 + 11) mod 256.
    #expect(try d.x.value(at: [1, 1, 0, 2]) == Float(75) / 127.5 - 1)
    // Several files, in the order given.
    let q = try dir.write(record(label: 0, seed: 5), "data_batch_2.bin")
    let e = try Dataset.cifar10(files: [q, p])
    #expect(e.labels == [0, 3, 9] && e.count == 3)
  }

  @Test func folderSplits() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    for k in 1...5 { _ = try dir.write(record(label: UInt8(k), seed: k), "data_batch_\(k).bin") }
    _ = try dir.write(record(label: 0, seed: 0) + record(label: 1, seed: 0), "test_batch.bin")
    let train = try Dataset.cifar10(folder: dir.path)
    #expect(train.labels == [1, 2, 3, 4, 5] && train.name == "cifar10/train")
    #expect(try Dataset.cifar10(folder: dir.path, split: .test).count == 2)
    let gone = dir.file("none")
    #expect(errorMessage { try Dataset.cifar10(folder: gone) } == "\(gone): no such file or folder")
  }

  @Test func badSizesAndLabels() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let p = try dir.write(record(label: 1, seed: 0) + [1, 2, 3], "odd.bin")
    let msg = errorMessage { try Dataset.cifar10(files: [p]) }
    #expect(msg?.hasPrefix("\(p): 3076 bytes is not a whole number of CIFAR-10 records") == true)
    let empty = try dir.write([], "empty.bin")
    #expect(errorMessage { try Dataset.cifar10(files: [empty]) }?.hasPrefix("\(empty): 0 bytes") == true)
    let c100 = try dir.write(record(label: 1, seed: 0) + record(label: 42, seed: 0), "c100.bin")
    #expect(errorMessage { try Dataset.cifar10(files: [c100]) }?.contains("record 2 has label 42") == true)
    #expect(errorMessage { try Dataset.cifar10(files: []) } != nil)
  }
}

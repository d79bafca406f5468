import Engine

extension Dataset {
  /// The names of the ten CIFAR-10 classes, in label order.
  public static let cifar10ClassNames = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
  ]

  /// The bytes in one CIFAR-10 record: a label byte, then 1024 red, 1024 green and 1024 blue pixels.
  static let cifarRecord = 1 + 3 * 32 * 32

  /// CIFAR-10 from its binary batches (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`), in
  /// the order given: images `[N, 3, 32, 32]` in [−1, 1] and labels 0–9.
  /// - Throws: ``DatasetError`` naming the file when it is missing, its size is not a multiple of
  ///   3073 bytes, or a label byte is above 9 (a CIFAR-100 file, which has two label bytes), or
  ///   when the images together pass the engine's limit (``MemoryLimit/maxElements`` values).
  public static func cifar10(files: [String], name: String = "cifar10") throws -> Dataset {
    guard !files.isEmpty else {
      throw DatasetError.invalidArgument(op: "cifar10", message: "no files given")
    }
    let blobs = try files.map { path -> [UInt8] in
      // A file holds at most the engine's limit of values (3072 per record) plus a label per record.
      let b = try FileIO.read(path, limit: MemoryLimit.maxElements / (cifarRecord - 1) * cifarRecord)
      guard b.count % cifarRecord == 0, !b.isEmpty else {
        throw DatasetError.malformed(
          path: path, reason: "\(b.count) bytes is not a whole number of CIFAR-10 records (3073 bytes each: "
            + "1 label + 3×32×32 pixels)")
      }
      return b
    }
    let n = blobs.reduce(0) { $0 + $1.count / cifarRecord }
    let pixels = 3 * 32 * 32
    do {
      _ = try MemoryLimit.count(of: [n, 3, 32, 32], op: "cifar10")
    } catch {
      let with = files.count == 1 ? "" : "with the other \(files.count - 1) files, "
      throw DatasetError.malformed(path: files[0], reason: "\(with)\(n) images: \(error)")
    }
    var labels = [Int]()
    labels.reserveCapacity(n)
    for (path, b) in zip(files, blobs) {
      for r in 0..<(b.count / cifarRecord) {
        let label = Int(b[r * cifarRecord])
        guard label <= 9 else {
          throw DatasetError.malformed(
            path: path, reason: "record \(r + 1) has label \(label), not 0–9 (is this a CIFAR-100 file?)")
        }
        labels.append(label)
      }
    }
    // The pixels go straight into the tensor's memory, record by record.
    let x = try Tensor.make([n, 3, 32, 32]) { dst in
      var k = 0
      for b in blobs {
        b.withUnsafeBufferPointer { src in
          for r in 0..<(b.count / cifarRecord) {
            let start = r * cifarRecord + 1
            Scaling.convert(UnsafeBufferPointer(rebasing: src[start..<start + pixels]),
                            into: dst.baseAddress! + k * pixels)
            k += 1
          }
        }
      }
    }
    return try Dataset(name: name, x: x, labels: labels,
                       classes: 10, classNames: cifar10ClassNames)
  }

  /// CIFAR-10 from the folder of binary batches (`cifar-10-batches-bin`): the five training batches
  /// (50,000 images) or the test batch (10,000).
  public static func cifar10(folder: String, split: Split = .train) throws -> Dataset {
    guard FileIO.isDirectory(folder) else { throw DatasetError.fileNotFound(path: folder) }
    let names = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
    return try cifar10(files: names.map { joinPath(folder, $0) }, name: "cifar10/\(split.rawValue)")
  }
}

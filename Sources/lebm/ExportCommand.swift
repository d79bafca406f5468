// `lebm export CHECKPOINT FOLDER`: a checkpoint as a PyTorch project (model.py, train.py, the
// weights and a README), as `export_torch` writes it from a script.
import LatentEBM
import REPL

enum ExportCommand {
  /// Its row in the command table.
  static let command = Command(
    "export", summary: "write a checkpoint as a PyTorch project (model.py, train.py)",
    arguments: [.required("CHECKPOINT"), .required("FOLDER")],
    options: [Option("--overwrite", help: "replace the four files in a FOLDER that is not empty (other files stay)")],
    details: """
      Writes FOLDER/model.py (the nets and the two Langevin samplers), FOLDER/train.py (the learning
      iteration with the checkpoint's settings, whose learning rates it prints; run it with python or
      torchrun --nproc_per_node N; a script's export_torch(load(CHECKPOINT), FOLDER, lr_g: …) writes others),
      FOLDER/weights.safetensors and FOLDER/README.md. train.py's checkpoints load back into lebm.
      A FOLDER that holds anything is refused unless --overwrite is given; the files are written
      beside it first and moved into place, so a failed export leaves nothing half-written.
      """
  ) { args, context in
    do {
      let (model, trainer) = try Checkpoint.load(args.positionals[0])
      let paths = try TorchExport.write(model, trainer: trainer, to: args.positionals[1], overwrite: args.has("--overwrite"))
      for p in paths { context.console.out("wrote \(p)\n") }
      let note = TorchExport.ratesNote(trainer?.config ?? TrainConfig(), epoch: trainer?.epoch ?? 0, hasEnergy: model.energyNet != nil)
      context.console.out(note + " (the checkpoint's settings; export_torch(load(CHECKPOINT), FOLDER, lr_g: …) writes others)\n")
      return 0
    } catch let error as LatentEBMError {
      context.console.err("lebm export: \(error)\n")
      return 1
    } catch {
      context.console.err("lebm export: cannot export '\(args.positionals[0])' to '\(args.positionals[1])': \(error)\n")
      return 1
    }
  }
}

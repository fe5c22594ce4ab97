import App
import ArgumentParser

/// The thin executable: parse the command line, run the command. Everything else
/// lives in the App and PorticoCore libraries.
@main
enum Entrypoint {
    static func main() async {
        EventLoopGlobalExecutor.install()
        do {
            var command = try PorticoCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            PorticoCommand.exit(withError: error)
        }
    }
}

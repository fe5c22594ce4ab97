import App
import ArgumentParser
import NIOCore
import NIOPosix

/// The thin executable: parse the command line, run the command. Everything else
/// lives in the App and PorticoCore libraries.
@main
enum Entrypoint {
    static func main() async {
        // Swift's tasks run on NIO's event loops (the ones Vapor serves on) instead of
        // a pool of their own: each `await` on a database answer or a request body no
        // longer moves the request between threads. Measured in the README (issue 19,
        // sixth round): PostgreSQL's hot paths answer about 1.5 times the requests per
        // second, SQLite's 5–75 % more. Installed first, before any other task starts;
        // the tests run without it.
        // What it asks of the code: nothing blocks a task for long (bcrypt has threads of
        // its own, SQLite's writer is a thread) and no hot path goes through an actor.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
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

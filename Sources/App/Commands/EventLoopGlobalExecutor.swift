import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Swift's tasks on NIO's event loops (the ones Vapor serves on) instead of a pool of
/// their own: each `await` on a database answer or a request body no longer moves the
/// request between threads. Measured in the README (issue 19, sixth round): PostgreSQL's
/// hot paths answer about 1.5 times the requests per second, SQLite's 5–75 % more.
///
/// What it asks of the code: nothing blocks a task for long (bcrypt has threads of its
/// own, SQLite's writer is a thread, host lookups go to a Dispatch queue) and no hot path
/// awaits an actor (a task that does carries on on the thread that runs the actor).
public enum EventLoopGlobalExecutor {
    private static let state = NIOLockedValueBox(false)

    /// Installs it: the executable's first step, before any other task starts. The
    /// tests run without it.
    public static func install() {
        let installed = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        state.withLockedValue { $0 = installed }
    }

    /// Whether `install()` took (`serve` says so in its first log line): NIO declines on
    /// a Swift it does not know, or when another hook is in place.
    public static var isInstalled: Bool { state.withLockedValue { $0 } }
}

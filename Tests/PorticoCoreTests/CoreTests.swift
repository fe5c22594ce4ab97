import Testing
@testable import PorticoCore

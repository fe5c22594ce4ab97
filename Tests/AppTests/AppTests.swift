import Testing
import VaporTesting
@testable import App

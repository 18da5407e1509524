/// The statement a health check runs.
public struct HealthStore {
    let session: Session

    public init(_ session: Session) {
        self.session = session
    }

    /// Succeeds when the database answers.
    public func ping() throws {
        try session.connection.query("SELECT 1")
    }
}

import FluentKit

/// Every migration, in order. Both engines run the same list.
public enum PorticoMigrations {
    public static let all: [any Migration] = [
        CreateOrganizations(),
        CreateAdmins(),
        CreateAPIKeys(),
        CreateUsers(),
        CreateSSOTokens(),
        CreateLearning(),
        CreatePartnerApps(),
        CreateWebhooks(),
        CreateAuditEntries(),
        CreateIndexes(),
        AddWebhookDispatch(),
        DropDeliveriesDueIndex(),
        CreateLoginAttempts(),
        CreateRefusedReturnHosts(),
        AddOpenIDConnect(),
        AddRetentionIndexes(),
    ]
}

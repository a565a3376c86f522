// A user-assigned managed identity: the app's single identity for Storage, Key Vault, the registry,
// Application Insights and PostgreSQL (mapped to a database role by the migration step), or the
// identity a storage account uses to reach its customer-managed key.

@description('Name of the identity (also the PostgreSQL role name it logs in as, for the app identity).')
param name string

@description('Azure region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output id string = identity.id

@description('Name of the identity.')
output name string = identity.name

@description('Client (application) id, used by the app to ask for tokens as this identity.')
output clientId string = identity.properties.clientId

@description('Object (principal) id, used in role assignments and the PostgreSQL principal mapping.')
output principalId string = identity.properties.principalId

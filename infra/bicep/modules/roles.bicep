// Built-in Azure roles this deployment grants, by readable name, and the shape of a role assignment
// request that the resource modules accept. Imported at compile time (no deployment of its own).
// Role assignments are named guid(scope, principalId, roleDefinitionId) in every module, so a
// re-deployment finds the existing assignment instead of failing on a duplicate.

@export()
@description('The built-in roles this deployment can grant, by readable name.')
type builtInRoleName =
  | 'AcrPull'
  | 'Key Vault Crypto Service Encryption User'
  | 'Key Vault Secrets Officer'
  | 'Key Vault Secrets User'
  | 'Monitoring Metrics Publisher'
  | 'PostgreSQL Flexible Server Long Term Retention Backup Role'
  | 'Reader'
  | 'Storage Account Backup Contributor'
  | 'Storage Blob Data Contributor'
  | 'Storage Blob Data Owner'
  | 'Storage Blob Delegator'
  | 'Storage Queue Data Contributor'
  | 'Storage Table Data Contributor'

@export()
@description('Role definition GUIDs of the built-in roles (the same in every Azure tenant).')
var builtInRoleIds = {
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  'Key Vault Crypto Service Encryption User': 'e147488a-f6f5-4113-8e2d-b22465e65bf6'
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6'
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb'
  'PostgreSQL Flexible Server Long Term Retention Backup Role': 'c088a766-074b-43ba-90d4-1fb21feae531'
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  'Storage Account Backup Contributor': 'e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1'
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  'Storage Blob Delegator': 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

@export()
@description('A role assignment to create on the resource of the module it is passed to.')
type roleAssignmentType = {
  @description('Object (principal) id of the user, group or managed identity.')
  principalId: string

  @description('The built-in role, by its readable name.')
  roleName: builtInRoleName

  @description('Kind of principal; required for identities created in the same deployment (replication delay).')
  principalType: 'User' | 'Group' | 'ServicePrincipal'
}

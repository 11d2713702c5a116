// The organization `npm start` models in Organizations mode, for any units a stage configures:
// the ACTIVE accounts under them, a SUSPENDED one among them, and one ACTIVE account they do not
// hold; a tree the stand-in accepts, placed where IAM's aws:ResourceOrgPaths will look.

import { smallOrganization } from '@cross-account-lambda/offline/modelledOrganization';
import { organizationPaths } from '@cross-account-lambda/offline/standin';
import { checkOrganization } from '@cross-account-lambda/offline/standin/organizations';

const setting = {
  organizationId: 'o-a1b2c3d4e5',
  units: ['ou-ab12-11111111'],
  readerAccountId: '999999999999',
  managementAccountId: '999999999999',
};

describe('one configured OU', () => {
  const small = smallOrganization(setting);

  it('puts two ACTIVE accounts and a SUSPENDED one in it, one more in a child OU, one in a sibling OU', () => {
    expect(() => checkOrganization(small.organization)).not.toThrow();
    expect(organizationPaths(small.organization)).toEqual({
      '222222222222': 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/',
      '444444444444': 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/',
      '555555555555': 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/',
      '333333333333': 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-33333333/',
      '666666666666': 'o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/',
    });
    expect(small).toMatchObject({
      underUnits: ['222222222222', '333333333333', '444444444444'],
      suspended: ['555555555555'],
      outside: ['666666666666'],
      outsideOrganization: false,
    });
    expect(small.organization.delegatedAdministrators).toBeUndefined();
  });
});

describe('other configurations', () => {
  it('the root configured: the account the units do not hold is outside the organization', () => {
    const small = smallOrganization({ ...setting, units: ['r-ab12'] });
    expect(() => checkOrganization(small.organization)).not.toThrow();
    expect(small.outsideOrganization).toBe(true);
    expect(small.organization.accounts.map((a) => a.id)).not.toContain('666666666666');
    expect(organizationPaths(small.organization)['333333333333']).toBe(
      'o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/',
    );
  });

  it('two OUs, one of them the id the child OU would take: the third account goes to the second, the child gets another id', () => {
    const small = smallOrganization({
      ...setting,
      units: ['ou-ab12-11111111', 'ou-ab12-33333333'],
    });
    expect(() => checkOrganization(small.organization)).not.toThrow();
    const paths = organizationPaths(small.organization);
    expect(paths['444444444444']).toBe('o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/');
    expect(paths['333333333333']).toBe('o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-33333330/');
  });

  it('a reader in a delegated-administrator account may list beside the management account', () => {
    const small = smallOrganization({ ...setting, readerAccountId: '888888888888' });
    expect(small.organization).toMatchObject({
      managementAccountId: '999999999999',
      delegatedAdministrators: ['888888888888'],
    });
  });
});

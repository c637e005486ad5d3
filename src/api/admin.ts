// Hoard's own admin API (IAM's job on AWS): accounts, users, access keys, user policies.
// SigV4-signed like the control plane (service name `hoard`); only an account's root may call it,
// and only the operator account's root may create accounts or act in another account.
import { accessDenied, validation } from '../errors.js';
import { check } from '../core/names.js';
import { parsePolicy, PolicyValidationError } from '../auth/policy.js';
import { body, op, type Operation, type PreInput } from './operation.js';

async function targetAccount(input: PreInput): Promise<string> {
  const { caller, svc } = input;
  if (caller.kind !== 'root') throw accessDenied('Only an account root may use the admin API.');
  const requested = input.q.account as string | undefined;
  if (requested === undefined || requested === caller.accountId) return caller.accountId;
  check('accountId', 'account', requested);
  if (!(await svc.identity.isOperator(caller.accountId)))
    throw accessDenied(`Only the operator account's root may manage account ${requested}.`);
  if (!(await svc.identity.accountExists(requested))) throw validation(`Account ${requested} does not exist.`);
  return requested;
}

const ACCOUNT_Q = { account: {} } as const;

export const adminOps: Operation[] = [
  op({
    name: 'CreateAccount',
    method: 'POST',
    path: '/admin/v1/accounts',
    query: { accountId: {} },
    body: 'json',
    async authorize({ caller, svc }) {
      if (caller.kind !== 'root' || !(await svc.identity.isOperator(caller.accountId)))
        throw accessDenied("Only the operator account's root may create accounts.");
    },
    async run({ svc, q }) {
      const created = await svc.identity.createAccount(q.accountId as string | undefined);
      return {
        account: { accountId: created.accountId, rootArn: `arn:aws:iam::${created.accountId}:root` },
        accessKey: { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey },
      };
    },
  }),
  op({
    name: 'CreateUser',
    method: 'POST',
    path: '/admin/v1/users',
    query: { ...ACCOUNT_Q, userName: { required: true } },
    body: 'json',
    authorize: targetAccount,
    async run(input, account) {
      const user = await input.svc.identity.createUser(account, input.q.userName as string);
      return { user: { userName: user.userName, arn: user.arn, accountId: user.accountId } };
    },
  }),
  {
    name: 'ListUsers',
    method: 'GET',
    path: '/admin/v1/users',
    query: ACCOUNT_Q,
    body: 'none',
    async run(input) {
      const account = await targetAccount(input);
      const users = await input.svc.identity.listUsers(account);
      return { users: users.map((u) => ({ userName: u.userName, arn: u.arn, accountId: u.accountId })) };
    },
  },
  {
    name: 'DeleteUser',
    method: 'DELETE',
    path: '/admin/v1/users',
    query: { ...ACCOUNT_Q, userName: { required: true } },
    body: 'none',
    async run(input) {
      const account = await targetAccount(input);
      await input.svc.identity.deleteUser(account, input.q.userName as string);
      return {};
    },
  },
  op({
    name: 'CreateAccessKey',
    method: 'POST',
    path: '/admin/v1/access-keys',
    query: { ...ACCOUNT_Q, userName: {} },
    body: 'json',
    authorize: targetAccount,
    async run(input, account) {
      const k = await input.svc.identity.createAccessKey(account, input.q.userName as string | undefined);
      return {
        accessKey: {
          accessKeyId: k.accessKeyId,
          secretAccessKey: k.secretAccessKey,
          principalArn: k.principal.arn,
          ...(k.principal.userName ? { userName: k.principal.userName } : {}),
        },
      };
    },
  }),
  {
    name: 'DeleteAccessKey',
    method: 'DELETE',
    path: '/admin/v1/access-keys',
    query: { ...ACCOUNT_Q, accessKeyId: { required: true } },
    body: 'none',
    async run(input) {
      const account = await targetAccount(input);
      await input.svc.identity.deleteAccessKey(account, input.q.accessKeyId as string);
      return {};
    },
  },
  op({
    name: 'PutUserPolicy',
    method: 'PUT',
    path: '/admin/v1/user-policy',
    query: { ...ACCOUNT_Q, userName: { required: true } },
    body: 'json',
    authorize: targetAccount,
    async run(input, account) {
      const doc = body.str(input.body, 'policyDocument', true)!;
      check('policyDocument', 'policyDocument', doc);
      try {
        parsePolicy(doc, 'identity');
      } catch (e) {
        if (e instanceof PolicyValidationError) throw validation(`Invalid policy document: ${e.message}`);
        throw e;
      }
      await input.svc.identity.putUserPolicy(account, input.q.userName as string, doc);
      return {};
    },
  }),
  {
    name: 'DeleteUserPolicy',
    method: 'DELETE',
    path: '/admin/v1/user-policy',
    query: { ...ACCOUNT_Q, userName: { required: true } },
    body: 'none',
    async run(input) {
      const account = await targetAccount(input);
      await input.svc.identity.putUserPolicy(account, input.q.userName as string, null);
      return {};
    },
  },
];

/** What `portico help`, `portico <command> --help` and a usage mistake print. */
export const commandHelp: Record<string, string> = {
  start: `Usage: portico start

Serves the API (/api/v1), its reference (/reference), MCP (/mcp) and the dashboard (/).
On an empty database it prints a one-time link that creates the first organisation and its Owner.
Configuration comes from the environment: PORT, HOST, DATABASE_URL, REDIS_URL, PORTICO_PUBLIC_URL,
PORTICO_SMTP_URL, … (see the README).`,

  migrate: `Usage: portico migrate

Applies the database migrations and exits (start, worker and every other command apply them too).`,

  worker: `Usage: portico worker

Runs only the webhook dispatcher, beside API instances started with PORTICO_IN_PROCESS_WORKER=0.`,

  org: `Usage: portico org create --name <name> [--force]
       portico org list

  create   creates an organisation and prints its first API key (all scopes), shown once.
           Refuses a name another organisation already has unless --force is given.
           Then: portico setup-link --org <id> prints the link that creates its first Owner.
  list     prints every organisation: id, status, name.`,

  user: `Usage: portico user create --org <id> --email <address> --role owner|admin|member [--name <name>]

Adds a person to an organisation. A new address becomes an account with a one-time link (7 days)
that chooses its password, printed here. An address that already has an account is added as it
is, with no link: they sign in with their own password.

This command line is trusted with every account (it holds the database): it may add any account
to any organisation. Nothing in the dashboard or the API can; there an existing account is invited
and joins only by accepting.`,

  'setup-link': `Usage: portico setup-link --org <id>
       portico setup-link --email <address>

  --org     a one-time link (24 hours) that creates the organisation's first Owner: for an
            organisation made with "portico org create", or one whose Owners are all gone.
  --email   a one-time password-reset link (1 hour) for that account, whatever organisations it
            belongs to. Using it signs the account out everywhere.

This command line is trusted with every account: only hand a link to the person it is for.
Each new link replaces the unused ones of the same kind.`,

  reseller: `Usage: portico reseller create --name <name>
       portico reseller suspend --id <id>
       portico reseller resume --id <id>

  create    creates a reseller and prints its first rsk_ key (all scopes), shown once.
  suspend   refuses the reseller's own keys (its organisations keep working); resume allows them again.`,

  'service-key': `Usage: portico service-key create --name <name> [--scopes read,actions]
       portico service-key list
       portico service-key revoke <id>
       portico service-key roll <id> [--grace-period <seconds>]

Service keys (psk_…) belong to the deployment, for its own backends: they call only the
/api/v1/platform operations (verify a customer's key, record an event), /health and /catalog.
  create    prints the key once (all four scopes unless --scopes: read verifies, actions posts events).
  list      id, name, prefix, created and revoked times.
  revoke    stops the key now, on every running instance.
  roll      prints a replacement once; the old key works for the grace period (default 0: revoked now).`,
}

export const USAGE = `Usage: portico <command> [options]

  start                        serve the API and dashboard
  migrate                      apply database migrations and exit
  worker                       run only the webhook dispatcher (with PORTICO_IN_PROCESS_WORKER=0 on the API)
  org create --name <name>     create an organisation and print its first key (all scopes) once
  org list                     list organisations
  user create --org <id> --email <address> --role owner|admin|member
                               add a person to an organisation (a new account gets a one-time link)
  setup-link --org <id>        a one-time link that creates an organisation's first Owner
  setup-link --email <address> a one-time password-reset link for an account
  reseller create --name <name>
                               create a reseller and print its first rsk_ key (all scopes) once
  reseller suspend --id <id> / reseller resume --id <id>
                               refuse or allow again the reseller's own keys (its organisations keep working)
  service-key create --name <name> / list / revoke <id> / roll <id>
                               the deployment's own psk_ keys for its backends (verify, platform events)

"portico <command> --help" explains one command. Configuration comes from the environment
(PORT, HOST, DATABASE_URL, REDIS_URL, PORTICO_SMTP_URL, …); see the README.

Exit codes: 0 done, 1 refused (not found, already exists), 64 wrong usage, 69 a service or
address is unavailable (database, port), 70 unexpected failure, 78 bad configuration.`

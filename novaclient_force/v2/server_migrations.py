"""Server migrations manager: python-novaclient's, plus force-complete done
right (negotiated microversion, name and auto-detected migration, typed
errors, waiting for the real outcome, host drain).

It is a drop-in subclass of novaclient's ServerMigrationsManager: the nova
extension installs it as ``cs.server_migrations`` and ``client.Client``
installs it on the client it builds. The ``api`` it is given is a
python-novaclient v2 Client; requests go over that client's keystoneauth
session, so connections are shared.

``nova`` imports this module on every run (the extension installs the
manager), even for ``nova list``, so it holds only the class and imports
nothing ``nova`` has not loaded already: each method imports the SDK
modules it runs (``novaclient_force.forcing`` for force and wait,
``novaclient_force.drain`` for a host).
"""

from novaclient import base
from novaclient.v2 import server_migrations as upstream

ServerMigration = upstream.ServerMigration

_FROM_API = object()


class ServerMigrationsManager(upstream.ServerMigrationsManager):
    """``pinned``: a version to send as is, or None to negotiate.

    By default the api's own version is taken as pinned when it is set
    (python-novaclient's shell has already discovered or been told it),
    and negotiated otherwise.
    """

    resource_class = ServerMigration
    #: Which CLI's commands the "follow it with ..." hints name; the nova
    #: extension sets 'nova'.
    cli = 'openstack'

    def __init__(self, api, pinned=_FROM_API, clock=None, sleep=None):
        super().__init__(api)
        self._pinned = pinned
        self._clock = clock
        self._sleep = sleep
        self._compute = None

    @property
    def compute(self):
        """The negotiating request path (built on first use: novaclient
        creates extension managers before the client's HTTP adapter)."""
        if self._compute is None:
            from novaclient_force import negotiation

            pinned = self._pinned
            if pinned is _FROM_API:
                version = getattr(self.api, 'api_version', None)
                pinned = None if version is None or version.is_latest() \
                    else negotiation.as_version(version)
            kwargs = {}
            if self._clock is not None:
                kwargs['clock'] = self._clock
            if self._sleep is not None:
                kwargs['sleep'] = self._sleep
            self._compute = negotiation.Compute(self.api.client, pinned,
                                                **kwargs)
        return self._compute

    # -- python-novaclient's API, same names and return types ------------

    def list(self, server):
        """In-progress live migrations of a server (2.23+)."""
        from novaclient_force import errors, negotiation, resolve

        ref = resolve.server(self.compute, server)
        resp = self.compute.request(
            'GET', f'/servers/{ref.id}/migrations', negotiation.MIGRATIONS,
            errors.Context('list', server=ref.label))
        return base.ListWithMeta(
            [self.resource_class(self, row, loaded=True)
             for row in resp.json().get('migrations', [])], resp)

    def get(self, server, migration):
        """One in-progress live migration (2.23+; admin-only by policy)."""
        from novaclient_force import errors, negotiation

        ref, mig = self._resolved(server, migration)
        resp = self.compute.request(
            'GET', f'/servers/{ref.id}/migrations/{mig.id}',
            negotiation.MIGRATIONS,
            errors.Context('show', server=ref.label, migration=mig.id))
        return self.resource_class(self, resp.json()['migration'],
                                   loaded=True, resp=resp)

    def live_migration_abort(self, server, migration):
        """Abort a live migration (2.24+; queued/preparing from 2.65)."""
        from novaclient_force import errors, negotiation

        ref, mig = self._resolved(server, migration)
        resp = self.compute.request(
            'DELETE', f'/servers/{ref.id}/migrations/{mig.id}',
            negotiation.ABORT,
            errors.Context('abort', server=ref.label, migration=mig.id,
                           server_id=ref.id, cli=self.cli))
        return self.convert_into_with_meta(None, resp)

    def live_migrate_force_complete(self, server, migration):
        """POST force_complete; novaclient's return type (TupleWithMeta)."""
        from novaclient_force import forcing

        ref, mig = self._resolved(server, migration)
        return self.convert_into_with_meta(
            None, forcing.post(self.compute, ref, mig.id, self.cli))

    def _resolved(self, server, migration):
        """The ServerRef and MigrationRef the caller means (resolve.py)."""
        from novaclient_force import resolve

        ref = resolve.server(self.compute, server)
        return ref, resolve.migration(self.compute, ref, migration)

    # -- ours ------------------------------------------------------------

    def force_complete(self, server, migration=None, wait=False,
                       timeout=None, progress=None, stalled_after=None,
                       force_after=None, auto=False):
        """Force a live migration to complete; an Outcome.

        ``migration`` None means the one live migration in progress. With
        ``wait`` the real outcome is awaited (``timeout`` seconds at most,
        None for no limit) and ``progress(waiting.Progress)`` is called on
        every reading while it is in progress. ``auto`` forces it only
        once its memory counters prove it will not converge unaided;
        ``stalled_after`` and ``force_after`` (seconds) only once they
        have shown no progress, or it has run, that long (see
        diagnosis.Policy): it is watched until then, and one that ends
        first is never forced.
        Refusals raise the errors of novaclient_force.exceptions; SIGINT
        (and SIGTERM, see signals.py) raises exceptions.Interrupted with
        what was known of the migration at that moment.
        """
        from novaclient_force import forcing

        return forcing.force_complete(self, server, migration, wait, timeout,
                                      progress, stalled_after, force_after,
                                      auto)

    def wait(self, server, migration, timeout=None, progress=None):
        """Wait for a live migration's outcome (no force-complete sent)."""
        from novaclient_force import forcing

        return forcing.wait(self, server, migration, timeout, progress)

    def force_complete_host(self, host, wait=False, timeout=None,
                            concurrency=8, progress=None, stalled_after=None,
                            force_after=None, auto=False):
        """Force the live migrations leaving ``host`` as each runs; a list
        of Outcomes, one per migration (see novaclient_force.drain)."""
        from novaclient_force import arguments, drain

        arguments.wait_timeout(timeout)
        return drain.force_complete_host(
            self.compute, host, wait=wait, timeout=timeout,
            concurrency=concurrency, progress=progress,
            policy=arguments.policy(stalled_after, force_after, auto),
            cli=self.cli)

    def drain_host(self, host, disable=True, disable_reason=None,
                   target_host=None, cold_migrate_stopped=False,
                   order='soonest', policy=None, stalled_after=None,
                   force_after=None, auto=None, force=True, deadline=None,
                   dry_run=False, timeout=None, lookahead=1,
                   progress=None):
        """Empty ``host``: a list of Outcomes, one per server that was on
        it (novaclient_force.emptying).

        Refused before anything changes (exceptions.PolicyRefused naming
        the policies) unless the caller is an admin, and refused with the
        closest known names (exceptions.UnknownHost) for a host that is no
        compute host. Then, in order:

        * ``disable``: the host's nova-compute service is disabled (by
          service UUID, 2.53+) with ``disable_reason``, or a reason naming
          this tool and the time; False keeps it enabled;
        * every server on the host, all projects, is live-migrated (ACTIVE
          and PAUSED; block migration ``auto``) to ``target_host`` or the
          scheduler's choice, ``lookahead`` requests beyond what Nova runs
          at once (``max_concurrent_live_migrations``); a server already
          migrating is followed, not asked again; ``order`` is
          ``'soonest'`` (the order that empties the host soonest) or
          ``'listed'`` (the order Nova lists them in);
        * with ``cold_migrate_stopped`` SHUTOFF servers are cold-migrated
          and their resize confirmed; otherwise they, and servers Nova
          would not move (SUSPENDED, ERROR, SHELVED, RESCUED, a task in
          progress), are left and reported with Nova's reason;
        * a running live migration is forced as ``policy`` says: any
          object with diagnosis.Policy's ``forces_at_once`` and
          ``decide(diagnosis, running_for)`` (and, if it forces at an
          age whatever the readings say, ``force_after``, that age in
          seconds, so that the drain looks then), by default one built from
          ``auto`` (as soon as the readings prove it will not converge)
          and ``stalled_after`` and ``force_after`` (seconds; 0: at
          once). ``auto`` None, the default, is ``auto`` unless a
          threshold is given; False without thresholds forces at once.
          ``force`` False forces nothing;
        * ``deadline`` (seconds from now): the host must be empty by then,
          so any migration whose estimated end, counting the queue behind
          it, would overrun it is forced;
        * the host is listed again and each moved server's host checked
          against its migration: a ``completed`` migration whose server
          still shows ``host`` is reported, not counted as moved.

        ``dry_run`` reads only and returns the plan: one Outcome per
        server saying what would be done and why. ``timeout`` (seconds,
        None for no limit) bounds the whole drain. ``progress`` is called
        with a waiting.Progress on every reading. The list's
        ``exit_code`` is 0 only when the host holds no server at the end
        (9 when servers were left, 3 for a failed migration, 5 timed out,
        8 accepted but unknown); each Outcome has ``action``,
        ``source``, ``destination`` and ``estimated_pause``. SIGINT (and
        SIGTERM) raise exceptions.Interrupted with the Outcomes so far.
        """
        from novaclient_force import arguments, emptying

        arguments.wait_timeout(timeout)
        if auto is None:
            auto = stalled_after is None and force_after is None
        return emptying.drain_host(
            self.compute, host, disable=disable,
            disable_reason=disable_reason, target_host=target_host,
            cold_migrate_stopped=cold_migrate_stopped, order=order,
            policy=policy or arguments.policy(stalled_after, force_after,
                                              auto),
            force=force, deadline=deadline, dry_run=dry_run,
            timeout=timeout, lookahead=lookahead, progress=progress,
            cli=self.cli)

    def follow_hint(self, server_id):
        """The command that follows a server's migration, for this caller
        and this CLI (novaclient_force.hints)."""
        from novaclient_force import hints, resolve

        return hints.follow(server_id, self.cli,
                            resolve.is_admin(self.compute))

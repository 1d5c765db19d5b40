"""``novaclient-force-refserver``: run the reference server.

The first line on stdout is ``listening on http://HOST:PORT``, printed once
the socket accepts connections; logs go to stderr, a line per request only
with ``--access-log``. SIGTERM and SIGINT stop it cleanly. Bad options or
files give one line on stderr and exit 2.
Without the ``refserver`` extra installed it says what to install, in one
line, and exits 1: this module imports none of the server's dependencies
before checking them, since ``pip install novaclient-force`` installs the
entry point but not them.
"""

import argparse
import dataclasses
import importlib
import logging
import os
import shlex
import signal
import socket
import sqlite3
import sys
import textwrap

EXIT_NOT_INSTALLED = 1
EXIT_USAGE = 2
# The top-level modules of the ``refserver`` extra (setup.cfg).
EXTRA_MODULES = ('webob', 'routes', 'microversion_parse', 'oslo_config',
                 'oslo_policy', 'yaml')


class _Stop(Exception):
    pass


def _missing_extra():
    """The first module of the ``refserver`` extra that cannot be
    imported, or None."""
    for name in EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


#: Where a client on this host reaches a server bound to a wildcard
#: address: that address names where the server listens (every
#: interface), not a peer to connect to.
_LOOPBACK = {'0.0.0.0': '127.0.0.1', '::': '::1'}


def _url(host, port):
    return f'http://[{host}]:{port}' if ':' in host else (
        f'http://{host}:{port}')


def _bind_address(text):
    """An address to bind; an IPv6 one may be given in URL brackets."""
    if text.startswith('[') and text.endswith(']'):
        return text[1:-1]
    return text


def _max_version(text):
    from novaclient_force.refserver.edge import microversions

    try:
        version = microversions.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'must look like 2.N, not {text!r}') from None
    if not (microversions.MIN_VERSION <= version
            <= microversions.MAX_VERSION):
        raise argparse.ArgumentTypeError(
            f'must be between {microversions.fmt(microversions.MIN_VERSION)}'
            f' and {microversions.fmt(microversions.MAX_VERSION)}')
    return version


def _positive(maximum):
    """An argparse type: a number > 0 and <= ``maximum``. Larger ones
    (``inf``, ``1e300``) were accepted, then overflowed turning times
    into dates on every request."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'not a number: {text!r}') from None
        if not 0 < value <= maximum:
            raise argparse.ArgumentTypeError(
                f'must be > 0 and <= {maximum:g}')
        return value
    return parse


def _count(text):
    if not text.isdigit():
        raise argparse.ArgumentTypeError(
            f'must be a whole number, not {text!r}')
    return int(text)


def _port(text):
    value = _count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError('must be 0..65535')
    return value


def parser():
    import novaclient_force
    from novaclient_force.refserver import clouds
    from novaclient_force.refserver.edge import microversions
    from novaclient_force.refserver.state import accounts, scenarios
    from novaclient_force.refserver.state import store as store_mod

    parse = argparse.ArgumentParser(
        prog='novaclient-force-refserver',
        description='Reference server emulating the Nova live-migration\n'
                    'API and Keystone v3 authentication.',
        epilog=_epilog(accounts, clouds, scenarios),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parse.add_argument('--version', action='version',
                       version=f"%(prog)s {novaclient_force.__version__}")
    parse.add_argument('--bind', default='127.0.0.1', metavar='ADDRESS',
                       type=_bind_address,
                       help='address to listen on, IPv4 or IPv6 (default '
                            '127.0.0.1; 0.0.0.0 or :: for every '
                            'interface)')
    parse.add_argument('--port', type=_port, default=0, metavar='PORT',
                       help='port (default 0: pick a free one)')
    parse.add_argument('--scenario', default='stuck-migration',
                       metavar='NAME|FILE',
                       help='built-in scenario name (listed below) or YAML '
                            'file (default stuck-migration)')
    parse.add_argument('--servers', type=_count, default=None, metavar='N',
                       help='number of servers for scenarios that scale '
                            f'(default {scenarios.DEFAULT_MAINTENANCE_SERVERS}'
                            ' for host-maintenance, '
                            f'{scenarios.DEFAULT_EVACUATION_SERVERS} for '
                            'host-evacuation)')
    parse.add_argument('--max-concurrent-live-migrations', type=_count,
                       default=None, metavar='N',
                       help="live migrations each source host runs at once "
                            "(Nova's max_concurrent_live_migrations; the "
                            "others wait queued; 0: no limit; default: the "
                            "scenario's, else 1)")
    parse.add_argument('--time-scale', default=1.0,
                       type=_positive(store_mod.MAX_TIME_SCALE),
                       metavar='X',
                       help='simulated seconds per real second (default '
                            '1: real time; at most '
                            f'{store_mod.MAX_TIME_SCALE:g})')
    parse.add_argument('--state', default=None, metavar='FILE',
                       help='SQLite file to keep state in across restarts '
                            '(default: in memory)')
    parse.add_argument('--policy-file', default=None, metavar='FILE',
                       help='oslo.policy YAML/JSON file overriding '
                            "Nova's default policies")
    parse.add_argument('--max-microversion', type=_max_version,
                       default=microversions.MAX_VERSION, metavar='2.N',
                       help='highest compute microversion to offer '
                            f'(default '
                            f'{microversions.fmt(microversions.MAX_VERSION)})')
    parse.add_argument('--clouds-yaml', default=None, metavar='FILE',
                       help='write a clouds.yaml for this server here')
    parse.add_argument('--notifications', default=None, metavar='FILE',
                       help='append versioned notifications (JSON lines)')
    parse.add_argument('--access-log', default=None, metavar='FILE',
                       help='append a line per request to FILE (- for '
                            'stderr; default: none, so that a server '
                            'started in the background keeps quiet)')
    parse.add_argument('--token-expiration', default=3600.0,
                       type=_positive(accounts.MAX_TOKEN_LIFETIME),
                       metavar='SECONDS',
                       help="how long a token lives, in wall-clock seconds "
                            "(Keystone's [token] expiration; default "
                            "3600; at most ten years)")
    return parse


def _epilog(accounts, clouds, scenarios):
    """What a first run needs to know beyond the options, in paragraphs."""
    def granted(roles):
        return ', '.join(f'{role} on {project}' for role, project in roles)

    users = ', '.join(f'{name} ({granted(roles)})'
                      for name, roles in accounts.BUILTIN_USERS.items())
    paragraphs = [
        f"Built-in scenarios: {', '.join(scenarios.BUILTIN)}.",
        'Once it accepts connections it prints "listening on '
        'http://HOST:PORT" on stdout (logs go to stderr, a line per '
        'request only with --access-log) and serves '
        'Keystone v3 at http://HOST:PORT/identity, compute at '
        'http://HOST:PORT/compute/v2.1 and, to loopback peers, the test '
        'harness\'s control API at http://HOST:PORT/_refserver/. SIGTERM '
        'or Ctrl-C stops it.',
        f'Users, each with the password "{accounts.PASSWORD}": {users}.',
        '--clouds-yaml writes the clouds '
        f"{', '.join(cloud for cloud, _, _ in clouds.CLOUDS)}.",
    ]
    return '\n\n'.join(textwrap.fill(text, width=78,
                                     break_on_hyphens=False)
                        for text in paragraphs)


def _route_access_log(access, destination):
    """Send the per-request lines where ``--access-log`` says: nowhere,
    stderr (``-``) with the other logs, or appended to a file."""
    if destination == '-':
        return
    access.propagate = False
    if destination is None:
        access.addHandler(logging.NullHandler())
        return
    try:
        handler = logging.FileHandler(destination, encoding='utf-8')
    except OSError as error:
        raise ValueError(f'--access-log: {error}') from None
    handler.setFormatter(logging.Formatter('%(asctime)s %(message)s'))
    access.addHandler(handler)


def _build(args):
    """The WSGI app for ``args``; raises ValueError with a one-line text."""
    from novaclient_force.refserver import app as app_mod
    from novaclient_force.refserver.edge import policy
    from novaclient_force.refserver.handlers import compute
    from novaclient_force.refserver.notify import notifier
    from novaclient_force.refserver.state import lifecycle, scenarios, seed
    from novaclient_force.refserver.state import store as store_mod

    try:
        scenario = scenarios.load(args.scenario, servers=args.servers)
    except scenarios.ScenarioError as error:
        raise ValueError(f'scenario: {error}') from None
    limit = args.max_concurrent_live_migrations
    if limit is not None:
        scenario = dataclasses.replace(
            scenario, max_concurrent_live_migrations=limit)
    if args.policy_file and not os.path.isfile(args.policy_file):
        raise ValueError(f'policy file {args.policy_file}: no such file')
    try:
        rules = policy.Policy(args.policy_file)
    except Exception as error:
        raise ValueError(f'policy file {args.policy_file}: '
                         f'{str(error).splitlines()[0]}') from None
    notifications = notifier.Notifier(args.notifications)
    try:
        notifications.check()
    except OSError as error:
        raise ValueError(f'notifications file {args.notifications}: '
                         f'{error.strerror or error}') from None
    try:
        store = store_mod.Store(args.state or ':memory:', args.time_scale)
        resumed = not seed.seed(store, scenario)
    except (sqlite3.Error, OSError) as error:
        raise ValueError(
            f"state file {args.state or ':memory:'}: {error}") from None
    if resumed and limit is not None:
        with store.transaction() as db:
            kept = lifecycle.limit(db)
        if kept != limit:
            raise ValueError(
                f'state file {args.state}: it runs '
                f'max_concurrent_live_migrations {kept}; a resumed state '
                'keeps its limit')
    services = compute.Services(store, rules, notifications,
                                args.max_microversion)
    return app_mod.RefServerApp(services, scenario,
                                args.token_expiration), store


def main(argv=None):
    missing = _missing_extra()
    if missing:
        extra = shlex.quote('novaclient-force[refserver]')
        print(f'novaclient-force-refserver: error: {missing} is not '
              f'installed; the reference server needs: pip install {extra}',
              file=sys.stderr)
        return EXIT_NOT_INSTALLED
    args = parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO,
        format='%(asctime)s %(levelname)s %(name)s %(message)s')
    from novaclient_force.refserver import clouds
    from novaclient_force.refserver.edge import httpserver

    try:
        app, store = _build(args)
        server = httpserver.make_server(args.bind, args.port, app)
        _route_access_log(httpserver.ACCESS_LOG, args.access_log)
    except (ValueError, OSError) as error:
        print(f'novaclient-force-refserver: error: {error}',
              file=sys.stderr)
        return EXIT_USAGE
    host, port = server.server_address[:2]
    bound = _url(host, port)
    local = _url(_LOOPBACK.get(host, host), port)
    if args.clouds_yaml:
        try:
            clouds.write(args.clouds_yaml, f'{local}/identity')
        except OSError as error:
            print(f'novaclient-force-refserver: error: clouds.yaml: {error}',
                  file=sys.stderr)
            return EXIT_USAGE

    stopping = []

    def stop(signum, frame):
        """Stop serving, once: a second signal while shutting down (a
        supervisor insisting) must not interrupt the clean-up."""
        if not stopping:
            stopping.append(signum)
            # Held back by the kernel from now on: Python resets its
            # handlers while the interpreter finalizes, and a signal
            # delivered then would still kill the process.
            signal.pthread_sigmask(signal.SIG_BLOCK,
                                   {signal.SIGTERM, signal.SIGINT})
            raise _Stop()

    try:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print(f'listening on {bound}', flush=True)
        if local != bound:
            print(f'clients connect to {local} on this host, or to '
                  f'{_url(socket.gethostname(), port)} from others',
                  flush=True)
        server.serve_forever(poll_interval=0.2)
    except _Stop:
        pass
    finally:
        server.server_close()
        store.close()
    return 0

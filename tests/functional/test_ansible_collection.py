"""The collection as Ansible's own tools see it: every module's
documentation renders, and ``ansible-galaxy collection build`` makes a
collection that installs and documents itself. The tarball is built in
a temporary directory, never in the checkout."""

import glob
import json
import os
import tarfile

import yaml

import novaclient_force
from tests import testcase
from tests.functional import playbooks


class TestModuleDocs(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.ansible = self.useFixture(playbooks.Ansible())

    def test_every_module_renders(self):
        names = playbooks.module_names()
        self.assertIn('live_migration_force_complete', names)
        for name in names:
            fqcn = f'{playbooks.NAMESPACE}.{name}'
            run = self.ansible.run('ansible-doc', '-t', 'module', fqcn)
            self.assertEqual(0, run.returncode, run.stderr)
            self.assertEqual('', run.stderr)
            self.assertIn(fqcn, run.stdout)
            for heading in ('OPTIONS', 'EXAMPLES', 'RETURN VALUES'):
                self.assertIn(heading, run.stdout, name)

    def test_documented_options_are_the_modules_own(self):
        # The options every module documents come from the doc fragment;
        # check mode is declared as supported.
        names = [f'{playbooks.NAMESPACE}.{n}'
                 for n in playbooks.module_names()]
        run = self.ansible.run('ansible-doc', '--json', '-t', 'module',
                               *names)
        self.assertEqual(0, run.returncode, run.stderr)
        docs = json.loads(run.stdout)
        self.assertEqual(sorted(names), sorted(docs))
        for fqcn, doc in docs.items():
            options = doc['doc']['options']
            for option in ('cloud', 'auth', 'region_name', 'interface'):
                self.assertIn(option, options, fqcn)
            self.assertEqual(
                'full', doc['doc']['attributes']['check_mode']['support'])
            self.assertTrue(doc['examples'].strip(), fqcn)
            self.assertIn('rc', doc['return'], fqcn)


    def test_drain_takes_every_option_of_the_command(self):
        # openstack compute host drain's own options (not cliff's output
        # options), as the module names them: --no-force is force: false,
        # --dry-run is check mode.
        from novaclient_force.osc.v2 import host_drain

        command = host_drain.DrainHost(None, None)
        base = super(host_drain.DrainHost, command).get_parser('drain')
        own = ({a.dest for a in command.get_parser('drain')._actions}
               - {a.dest for a in base._actions})
        expected = own - {'dry_run', 'no_force'} | {'force'}
        fqcn = f'{playbooks.NAMESPACE}.compute_host_drain'
        run = self.ansible.run('ansible-doc', '--json', '-t', 'module',
                               fqcn)
        self.assertEqual(0, run.returncode, run.stderr)
        options = set(json.loads(run.stdout)[fqcn]['doc']['options'])
        cloud = {'cloud', 'auth', 'auth_type', 'region_name',
                 'validate_certs', 'ca_cert', 'client_cert', 'client_key',
                 'api_timeout', 'interface'}
        self.assertEqual(sorted(expected), sorted(options - cloud))


class TestGalaxyBuild(testcase.TestCase):

    def test_builds_installs_and_documents(self):
        ansible = self.useFixture(playbooks.Ansible())
        run = ansible.run('ansible-galaxy', 'collection', 'build',
                          playbooks.COLLECTION, '--output-path', 'dist')
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        (tarball,) = glob.glob(os.path.join(ansible.path, 'dist', '*'))
        self.assertEqual(
            f'novaclient_force-compute-{novaclient_force.__version__}'
            '.tar.gz', os.path.basename(tarball))
        with tarfile.open(tarball) as archive:
            members = archive.getnames()
            manifest = json.load(archive.extractfile('MANIFEST.json'))
        self.assertEqual('novaclient_force',
                         manifest['collection_info']['namespace'])
        for name in playbooks.module_names():
            self.assertIn(f'plugins/modules/{name}.py', members)
        self.assertEqual([], [m for m in members
                              if '__pycache__' in m or m.endswith('.pyc')])

        # Installed where nothing else is: the checkout is not looked at.
        installed = os.path.join(ansible.path, 'collections')
        ansible.env['ANSIBLE_COLLECTIONS_PATH'] = installed
        run = ansible.run('ansible-galaxy', 'collection', 'install',
                          tarball, '-p', installed)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertIn('installed successfully', run.stdout)
        run = ansible.run('ansible-doc', '-l', playbooks.NAMESPACE)
        self.assertEqual(0, run.returncode, run.stderr)
        for name in playbooks.module_names():
            self.assertIn(f'{playbooks.NAMESPACE}.{name}', run.stdout)

    def test_galaxy_version_is_the_packages(self):
        with open(os.path.join(playbooks.COLLECTION, 'galaxy.yml'),
                  encoding='utf-8') as f:
            galaxy = yaml.safe_load(f)
        self.assertEqual(novaclient_force.__version__, galaxy['version'])

"""One SDK client shared by threads, against the reference server."""

from concurrent import futures

from novaclient_force import client
from novaclient_force.refserver import fixture
from tests import testcase


class TestSharedClientOnAnOlderCloud(testcase.TestCase):
    """Below 2.80 every thread's first request is refused (406), and
    each must still be answered at the version negotiated."""

    THREADS = 16

    def test_every_thread_lists_the_migration(self):
        cloud = self.useFixture(fixture.RefServer(
            'stuck-migration', max_microversion='2.60'))
        nc = client.Client(session=cloud.session())
        with futures.ThreadPoolExecutor(self.THREADS) as pool:
            calls = [pool.submit(nc.server_migrations.list, 'busy-vm')
                     for _ in range(self.THREADS)]
            failed = [str(call.exception()) for call in calls
                      if call.exception() is not None]
        self.assertEqual([], failed)
        self.assertEqual({'running'}, {call.result()[0].status
                                       for call in calls})
        self.assertEqual('2.60', nc.api_version.get_string())

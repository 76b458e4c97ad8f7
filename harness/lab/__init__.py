"""Lab layer: a machine run to completion (``Run``), or held open (``Session``), and the
guest shell on top of its console (``ringlab.lab.shell``).

``from ringlab import lab`` gives the session API: ``lab.run``, ``lab.Session``,
``lab.Run``, ``lab.boot_config``, ``lab.shell_config``, ``lab.program``,
``lab.user_programs``, ``lab.with_init_args``, ``lab.with_init_argv``.
"""
from .session import (Run, Session, boot_config, program, run, shell_config, user_programs,
                      with_init_args, with_init_argv)

__all__ = ["Run", "Session", "boot_config", "program", "run", "shell_config", "user_programs",
           "with_init_args", "with_init_argv"]

"""Lab layer: a machine run to completion (``Run``), or held open (``Session``), and the
guest shell on top of its console (``ringlab.lab.shell``).

``from ringlab import lab`` gives the session API: ``lab.run``, ``lab.Session``,
``lab.Run``, ``lab.boot_config``, ``lab.shell_config``, ``lab.program``,
``lab.user_programs``, ``lab.invoke_line``, ``lab.with_init_args``, ``lab.with_init_argv``,
``lab.with_trace`` (kernel event families: ``trace=syscall,mem,signal``);
``lab.run(config, stdin=...)`` types a program's standard input.
"""
from .session import (Run, Session, StdinLike, boot_config, invoke_args, invoke_line, program,
                      run, shell_config, stdin_bytes, trace_kinds, user_programs,
                      with_init_args, with_init_argv, with_karg, with_piped_stdin, with_trace)

__all__ = ["Run", "Session", "StdinLike", "boot_config", "invoke_args", "invoke_line", "program",
           "run", "shell_config", "stdin_bytes", "trace_kinds", "user_programs",
           "with_init_args", "with_init_argv", "with_karg", "with_piped_stdin", "with_trace"]

"""What every format builds on: problems, atomic writes, numbers and units, XML text rules, the
safe XML parser, the Jinja environment, spools, workbooks, record paths, timings and the files
that ship with the tool. Nothing here knows a format; formats import from here, never from
each other."""

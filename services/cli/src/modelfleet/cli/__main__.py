from modelfleet.cli.main import app

app()

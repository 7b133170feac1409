def make_offline(site):
    pass
